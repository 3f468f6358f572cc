package io.rotor.store.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rotor.api.Account;
import io.rotor.api.AccountRuntime;
import io.rotor.api.AccountStats;
import io.rotor.api.AccountStatus;
import io.rotor.api.AccountStore;
import io.rotor.api.ErrorCode;
import io.rotor.api.Pool;
import io.rotor.api.RateLimitState;
import io.rotor.api.RotorException;
import io.rotor.api.StoreSnapshot;
import io.rotor.api.User;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@link AccountStore} contract, run against every store: a store's test extends this class
 * and says how to open the store kept in a folder. Store-specific behaviour (file layouts,
 * schema versions) is tested beside each store.
 */
public abstract class AccountStoreContract {

    private static final Instant CREATED = Instant.parse("2026-03-01T10:00:00.000Z");

    @TempDir
    protected Path dir;

    private final List<AccountStore> opened = new ArrayList<>();

    /**
     * Opens the store kept in {@code folder} (created by the store on its first write if needed).
     * Opening the same folder again, in this or another JVM, gives the same store. Must not depend
     * on the test instance's fields: {@link StoreWriterProcess} calls it in a child JVM.
     */
    protected abstract AccountStore open(Path folder);

    /** Releases a store opened by {@link #open}; the default closes it if it is {@link AutoCloseable}. */
    protected void close(AccountStore store) throws Exception {
        if (store instanceof AutoCloseable closeable) {
            closeable.close();
        }
    }

    /** Opens the store in {@link #dir} and closes it after the test. */
    protected final AccountStore store() {
        AccountStore store = open(dir);
        opened.add(store);
        return store;
    }

    @AfterEach
    void closeOpenedStores() throws Exception {
        for (AccountStore store : opened) {
            close(store);
        }
        opened.clear();
    }

    /** An ordinary account with one API-key ciphertext. */
    public static Account account(String id) {
        return new Account(id, "openai", "default", "name " + id, AccountStatus.ACTIVE, null, 1, 1, List.of(), 0,
                CREATED, null, null, Map.of(Account.SECRET_API_KEY, "aXY=:Y3Q=:dGFn"), "0123456789abcdef", null, null);
    }

    /** An account with every field set to something other than its default. */
    public static Account fullAccount(String id) {
        return new Account(id, "gemini", "team-a", "Work ünïcödé", AccountStatus.RATE_LIMITED, "429 from upstream",
                7, 3, List.of("x", "y", "with space"), 4, Instant.parse("2026-01-02T03:04:05.678Z"),
                Instant.parse("2026-01-03T03:04:05.001Z"), "me@example.com",
                Map.of(Account.SECRET_PASSWORD, "cA==:cA==:cA==", Account.SECRET_API_KEY, "aw==:aw==:aw==",
                        Account.SECRET_CREDENTIAL, "Yw==:Yw==:Yw=="),
                "fedcba9876543210", new AccountStats(10, 7, 3, 2, Instant.parse("2026-01-03T03:04:05.001Z")),
                new RateLimitState(4, Instant.parse("2026-01-03T03:04:00.000Z"),
                        Instant.parse("2026-01-03T03:05:00.000Z")));
    }

    static AccountRuntime runtime(String id, long requests) {
        Instant at = CREATED.plusSeconds(requests);
        return new AccountRuntime(id, null, null, at, new AccountStats(requests, requests, 0, 0, at),
                new RateLimitState((int) (requests % 10), at, null));
    }

    // ---------------------------------------------------------------- reading and writing

    @Test
    void aNewStoreIsEmpty() {
        StoreSnapshot empty = store().snapshot();

        assertEquals(List.of(), empty.accounts());
        assertEquals(List.of(), empty.users());
        assertEquals(List.of(), empty.pools());
        assertEquals(Map.of(), empty.settings());
    }

    @Test
    void roundTripsEveryFieldThroughAReopen() throws Exception {
        Account full = fullAccount("acc_1");
        Account plain = account("acc_2");
        User user = new User("usr_1", "alice", "ab".repeat(32), "team-a", Instant.parse("2026-01-01T00:00:00.000Z"));
        User sparseUser = new User("usr_2", null, "cd".repeat(32), null, null);
        Pool pool = new Pool("team-a", "weighted", 20, 30_000L, 5_000L, 2);
        Pool sparse = Pool.named("other");

        AccountStore writer = store();
        writer.putAccount(full);
        writer.putAccount(plain);
        writer.putUser(user);
        writer.putUser(sparseUser);
        writer.putPool(pool);
        writer.putPool(sparse);
        writer.putSetting("custom", "value");
        writer.putSetting("masterKeyHash", "ef".repeat(32));
        close(writer);

        StoreSnapshot snapshot = store().snapshot();
        assertEquals(List.of(full, plain), snapshot.accounts());
        Account read = snapshot.accounts().get(0);
        assertEquals(full.tags(), read.tags());
        assertEquals(full.secrets(), read.secrets());
        assertEquals(full.stats(), read.stats());
        assertEquals(full.rateLimit(), read.rateLimit());
        assertEquals(List.of(user, sparseUser), snapshot.users());
        assertEquals(List.of(pool, sparse), snapshot.pools());
        assertEquals(Map.of("custom", "value", "masterKeyHash", "ef".repeat(32)), snapshot.settings());
    }

    // ---------------------------------------------------------------- a full disk, a read-only folder

    /** An account whose ciphertext is big enough that no write of it fits in space a store kept in reserve. */
    private static Account bulky(String id) {
        return account(id).withSecrets(Map.of(Account.SECRET_API_KEY, "QUFB:" + "Q".repeat(400_000) + ":dGFn"), null);
    }

    @Test
    void aWriteOnAFullDiskFailsNamingTheFileAndTheCauseAndTheStoreReadsOnAsBefore() throws Exception {
        try (SmallDisk disk = SmallDisk.mount(dir.resolve("small"), 4L << 20)) {
            AccountStore store = open(disk.path());
            try {
                store.putAccount(account("acc_1"));
                store.putUser(new User("u1", "a", "h1", null, null));
                StoreSnapshot before = store.snapshot();
                disk.fill();

                RotorException e = assertThrows(RotorException.class, () -> store.putAccount(bulky("acc_2")));

                assertEquals(ErrorCode.STORE_ERROR, e.code());
                assertTrue(e.getMessage().contains(disk.path().toString()), e.getMessage());
                assertTrue(e.getMessage().contains("No space left on device") || e.getMessage().contains("full"),
                        e.getMessage());
                assertEquals(before.accounts(), store.snapshot().accounts());
                assertEquals(before.users(), store.snapshot().users());
                RotorException again = assertThrows(RotorException.class, () -> store.putSetting("k", "v"));
                assertEquals(ErrorCode.STORE_ERROR, again.code());
                AccountStore reader = open(disk.path());
                try {
                    assertEquals(before.accounts(), reader.snapshot().accounts(), "the file on disk is the old one");
                } finally {
                    close(reader);
                }
                disk.free();
                store.putAccount(account("acc_3"));
                assertEquals(List.of("acc_1", "acc_3"), store.snapshot().accounts().stream().map(Account::id).toList());
            } finally {
                close(store);
            }
        }
    }

    @Test
    void aWriteToAReadOnlyFolderFailsNamingTheFileAndTheCauseAndTheStoreReadsOnAsBefore() throws Exception {
        try (SmallDisk disk = SmallDisk.mount(dir.resolve("small"), 4L << 20)) {
            AccountStore writer = open(disk.path());
            writer.putAccount(account("acc_1"));
            StoreSnapshot before = writer.snapshot();
            if (!disk.tryReadOnly()) {
                // The store holds its files open for writing (SQLite), and Linux will not make a busy mount
                // read-only: reopen it on the read-only folder instead.
                close(writer);
                disk.readOnly();
                writer = open(disk.path());
            }
            AccountStore store = writer;
            try {

                RotorException e = assertThrows(RotorException.class, () -> store.putAccount(account("acc_2")));

                assertEquals(ErrorCode.STORE_ERROR, e.code());
                assertTrue(e.getMessage().contains(disk.path().toString()), e.getMessage());
                assertTrue(e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("read-only")
                        || e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("readonly"), e.getMessage());
                assertEquals(before.accounts(), store.snapshot().accounts());
                disk.writable();
                AccountStore reader = open(disk.path());
                try {
                    assertEquals(before.accounts(), reader.snapshot().accounts(), "the file on disk is the old one");
                } finally {
                    close(reader);
                }
            } finally {
                close(store);
            }
        }
    }

    @Test
    void keepsTimestampsToTheMillisecond() {
        Instant precise = Instant.parse("2026-05-06T07:08:09.123456789Z");
        Account account = account("acc_t").withRuntime(new AccountStats(1, 1, 0, 0, precise),
                new RateLimitState(1, precise, precise), precise);
        AccountStore store = store();
        store.putAccount(account);

        Account read = store().snapshot().accounts().get(0);

        Instant millis = precise.truncatedTo(ChronoUnit.MILLIS);
        assertEquals(millis, read.lastUsed());
        assertEquals(millis, read.stats().lastRequestAt());
        assertEquals(new RateLimitState(1, millis, millis), read.rateLimit());
    }

    @Test
    void replacesAndRemovesByIdKeepingTheOrder() {
        AccountStore store = store();
        store.putAccount(account("acc_1"));
        store.putAccount(account("acc_2"));
        store.putAccount(account("acc_1").withStatus(AccountStatus.BLOCKED, "manual"));
        store.putUser(new User("u1", "a", "h1", null, null));
        store.putUser(new User("u2", "b", "h2", null, null));
        store.putUser(new User("u1", "renamed", "h1", "p", null));

        StoreSnapshot snapshot = store.snapshot();
        assertEquals(List.of("acc_1", "acc_2"), snapshot.accounts().stream().map(Account::id).toList());
        assertEquals(AccountStatus.BLOCKED, snapshot.accounts().get(0).status());
        assertEquals("manual", snapshot.accounts().get(0).statusReason());
        assertEquals(List.of("renamed", "b"), snapshot.users().stream().map(User::name).toList());
        assertTrue(store.removeAccount("acc_1"));
        assertFalse(store.removeAccount("acc_1"));
        assertTrue(store.removeUser("u1"));
        assertFalse(store.removeUser("u1"));
        assertEquals(List.of("acc_2"), store.snapshot().accounts().stream().map(Account::id).toList());
        assertEquals(List.of("u2"), store.snapshot().users().stream().map(User::id).toList());
    }

    @Test
    void aReplacedAccountLosesSecretsTagsAndFieldsItNoLongerHas() {
        AccountStore store = store();
        store.putAccount(fullAccount("acc_1"));
        Account stripped = new Account("acc_1", "openai", null, null, null, null, 0, 0, null, 0, null, null, null,
                Map.of(Account.SECRET_API_KEY, "bmV3:bmV3:bmV3"), null, null, null);

        store.putAccount(stripped);

        assertEquals(List.of(stripped), store().snapshot().accounts());
    }

    @Test
    void poolsAreReplacedByNameAndSettingsRemovedByNull() {
        AccountStore store = store();
        store.putPool(new Pool("p", "random", 5, null, null, null));
        store.putPool(new Pool("p", null, null, 100L, null, null));
        store.putSetting("a", "1");
        store.putSetting("b", "2");
        store.putSetting("a", "one");
        store.putSetting("b", null);
        store.putSetting("never-set", null);

        StoreSnapshot snapshot = store().snapshot();
        assertEquals(List.of(new Pool("p", null, null, 100L, null, null)), snapshot.pools());
        assertEquals(Map.of("a", "one"), snapshot.settings());
    }

    // ---------------------------------------------------------------- statistics flush

    @Test
    void saveRuntimeWritesOnlyTrafficFieldsAndSkipsUnknownIds() {
        AccountStore store = store();
        Account original = fullAccount("acc_1");
        store.putAccount(original);
        AccountStats stats = new AccountStats(151, 148, 3, 2, Instant.parse("2026-02-20T00:00:00.000Z"));
        RateLimitState window = new RateLimitState(0, null, Instant.parse("2026-02-20T00:01:00.000Z"));

        store.saveRuntime(List.of(
                new AccountRuntime("acc_1", AccountStatus.RATE_LIMITED, "cooling down",
                        Instant.parse("2026-02-20T00:00:00.000Z"), stats, window),
                new AccountRuntime("acc_gone", AccountStatus.INVALID, "x", null, AccountStats.EMPTY,
                        RateLimitState.EMPTY)));

        StoreSnapshot snapshot = store().snapshot();
        assertEquals(1, snapshot.accounts().size());
        Account account = snapshot.accounts().get(0);
        assertEquals(stats, account.stats());
        assertEquals(window, account.rateLimit());
        assertEquals(Instant.parse("2026-02-20T00:00:00.000Z"), account.lastUsed());
        assertEquals(AccountStatus.RATE_LIMITED, account.status());
        assertEquals("cooling down", account.statusReason());
        assertEquals(original.secrets(), account.secrets());
        assertEquals(original.name(), account.name());
        assertEquals(original.tags(), account.tags());
        assertEquals(original.priority(), account.priority());

        store.saveRuntime(List.of(new AccountRuntime("acc_1", null, "ignored", null, stats, RateLimitState.EMPTY)));
        Account unchangedStatus = store.snapshot().accounts().get(0);
        assertEquals(AccountStatus.RATE_LIMITED, unchangedStatus.status());
        assertEquals("cooling down", unchangedStatus.statusReason());
        assertEquals(null, unchangedStatus.lastUsed());
        assertEquals(RateLimitState.EMPTY, unchangedStatus.rateLimit());
    }

    @Test
    void saveRuntimeKeepsFieldsTheOtherStoreChangedMeanwhile() {
        AccountStore server = store();
        AccountStore cli = store();
        server.putAccount(account("acc_1"));
        Account seenByServer = server.snapshot().accounts().get(0);

        Account changedByCli = cli.snapshot().accounts().get(0);
        cli.putAccount(new Account(changedByCli.id(), changedByCli.upstream(), "team-b", "renamed",
                AccountStatus.INACTIVE, "paused", 9, 5, List.of("t"), 2, changedByCli.createdAt(),
                changedByCli.lastUsed(), changedByCli.email(), changedByCli.secrets(),
                changedByCli.encryptionKeyId(), changedByCli.stats(), changedByCli.rateLimit()));
        AccountStats stats = new AccountStats(3, 2, 1, 0, Instant.parse("2026-03-02T00:00:00.000Z"));
        server.saveRuntime(List.of(new AccountRuntime(seenByServer.id(), null, null,
                Instant.parse("2026-03-02T00:00:00.000Z"), stats,
                new RateLimitState(3, Instant.parse("2026-03-02T00:00:00.000Z"), null))));

        for (AccountStore store : List.of(server, cli, store())) {
            Account account = store.snapshot().accounts().get(0);
            assertEquals("team-b", account.pool());
            assertEquals("renamed", account.name());
            assertEquals(AccountStatus.INACTIVE, account.status());
            assertEquals(9, account.priority());
            assertEquals(5, account.weight());
            assertEquals(List.of("t"), account.tags());
            assertEquals(stats, account.stats());
            assertEquals(3, account.rateLimit().requestsThisWindow());
        }
    }

    @Test
    void aStatisticsFlushOfManyAccountsLandsWhole() throws Exception {
        AccountStore store = store();
        List<Account> accounts = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            accounts.add(account("acc_" + i));
        }
        store.replaceAll(new StoreSnapshot(accounts, List.of(), List.of(), Map.of(), 0));
        List<AccountRuntime> runtimes = new ArrayList<>();
        for (int i = 0; i < accounts.size(); i++) {
            runtimes.add(runtime("acc_" + i, i + 1));
        }

        store.saveRuntime(runtimes);
        close(store);

        List<Account> read = store().snapshot().accounts();
        assertEquals(500, read.size());
        for (int i = 0; i < read.size(); i++) {
            assertEquals("acc_" + i, read.get(i).id());
            assertEquals(i + 1, read.get(i).stats().totalRequests());
            assertEquals(runtimes.get(i).lastUsed(), read.get(i).lastUsed());
        }
    }

    // ---------------------------------------------------------------- revision

    @Test
    void revisionChangesOnEveryWriteAndWhenAnotherStoreWrote() {
        AccountStore server = store();
        AccountStore cli = store();
        long initial = server.revision();
        assertEquals(initial, server.revision(), "no write, no change");

        server.putAccount(account("acc_1"));
        long afterOwnWrite = server.revision();
        assertNotEquals(initial, afterOwnWrite);
        assertEquals(afterOwnWrite, server.revision());
        assertEquals(afterOwnWrite, server.snapshot().revision());

        cli.putAccount(account("acc_2"));
        long afterCliWrite = server.revision();
        assertNotEquals(afterOwnWrite, afterCliWrite);
        StoreSnapshot seen = server.snapshot();
        assertEquals(2, seen.accounts().size());
        assertEquals(afterCliWrite, seen.revision());

        Set<Long> revisions = new HashSet<>(List.of(initial, afterOwnWrite, afterCliWrite));
        cli.putUser(new User("u", "n", "h", null, null));
        assertTrue(revisions.add(server.revision()), "putUser");
        cli.putPool(Pool.named("p"));
        assertTrue(revisions.add(server.revision()), "putPool");
        cli.putSetting("k", "v");
        assertTrue(revisions.add(server.revision()), "putSetting");
        cli.saveRuntime(List.of(runtime("acc_1", 5)));
        assertTrue(revisions.add(server.revision()), "saveRuntime");
        cli.removeAccount("acc_2");
        assertTrue(revisions.add(server.revision()), "removeAccount");
        cli.removeUser("u");
        assertTrue(revisions.add(server.revision()), "removeUser");
        assertEquals(server.revision(), server.snapshot().revision());
    }

    // ---------------------------------------------------------------- replacing everything

    @Test
    void replaceAllLeavesExactlyTheGivenContentInOrder() throws Exception {
        AccountStore store = store();
        store.putAccount(account("old"));
        store.putUser(new User("old_user", "x", "h", null, null));
        store.putPool(Pool.named("old_pool"));
        store.putSetting("old", "1");
        StoreSnapshot content = new StoreSnapshot(
                List.of(account("acc_b"), fullAccount("acc_a"), account("acc_c")),
                List.of(new User("u2", "b", "h2", "team-a", CREATED), new User("u1", "a", "h1", null, null)),
                List.of(Pool.named("z"), new Pool("team-a", "random", 1, 2L, 3L, 4)),
                Map.of("masterKeyHash", "00".repeat(32), "k", "v"), 99);
        long before = store.revision();

        store.replaceAll(content);

        assertNotEquals(before, store.revision());
        close(store);
        StoreSnapshot read = store().snapshot();
        assertEquals(content.accounts(), read.accounts());
        assertEquals(content.users(), read.users());
        assertEquals(content.pools(), read.pools());
        assertEquals(content.settings(), read.settings());
    }

    @Test
    void replaceAllWithADuplicateIdFailsAndLeavesTheStoreAsItWas() {
        AccountStore store = store();
        store.putAccount(account("kept"));
        store.putSetting("k", "v");
        StoreSnapshot before = store.snapshot();
        StoreSnapshot broken = new StoreSnapshot(List.of(account("a"), account("b"), account("a")),
                List.of(), List.of(), Map.of(), 0);

        RotorException e = assertThrows(RotorException.class, () -> store.replaceAll(broken));

        assertEquals(ErrorCode.STORE_ERROR, e.code());
        assertTrue(e.getMessage().contains("'a'"), e.getMessage());
        StoreSnapshot after = store().snapshot();
        assertEquals(before.accounts(), after.accounts());
        assertEquals(before.settings(), after.settings());
        assertEquals(before.revision(), store.revision());
    }

    // ---------------------------------------------------------------- concurrency and crashes

    @Test
    void twoStoresOnOneFileAddingFromManyThreadsLoseNothing() throws Exception {
        List<AccountStore> stores = List.of(store(), store());
        int threadsPerStore = 4;
        int accountsPerThread = 10;
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(stores.size() * threadsPerStore)) {
            for (int s = 0; s < stores.size(); s++) {
                for (int t = 0; t < threadsPerStore; t++) {
                    AccountStore store = stores.get(s);
                    String prefix = "acc_" + s + "_" + t + "_";
                    done.add(pool.submit(() -> {
                        start.await();
                        for (int i = 0; i < accountsPerThread; i++) {
                            store.putAccount(account(prefix + i));
                            store.saveRuntime(List.of(runtime(prefix + i, i + 1)));
                            store.snapshot();
                            store.revision();
                        }
                        return null;
                    }));
                }
            }
            start.countDown();
            for (Future<?> future : done) {
                future.get(2, TimeUnit.MINUTES);
            }
        }

        int expected = stores.size() * threadsPerStore * accountsPerThread;
        for (AccountStore store : List.of(stores.get(0), stores.get(1), store())) {
            assertEquals(expected, ids(store).size());
            assertTrue(store.snapshot().accounts().stream().allMatch(a -> a.stats().totalRequests() > 0),
                    "every account's statistics were saved");
        }
    }

    @Test
    void twoProcessesWritingAtOnceLoseNothing() throws Exception {
        Path gate = dir.resolve("gate");
        int perWriter = 40;
        List<String> prefixes = List.of("proc_a_", "proc_b_");
        List<Process> processes = new ArrayList<>();
        for (String prefix : prefixes) {
            processes.add(StoreWriterProcess.start(getClass(), dir, prefix, perWriter, gate));
        }
        for (String prefix : prefixes) {
            Path ready = StoreWriterProcess.readyFile(gate, prefix);
            for (int waited = 0; !Files.exists(ready); waited++) {
                assertTrue(waited < 60_000, "writer process did not start");
                Thread.sleep(1);
            }
        }
        Files.createFile(gate);
        // This JVM writes too, so in-process and cross-process locking are exercised together.
        AccountStore here = store();
        for (int i = 0; i < perWriter; i++) {
            here.putAccount(account("here_" + i));
        }
        for (Process process : processes) {
            assertTrue(process.waitFor(2, TimeUnit.MINUTES), "writer process did not finish");
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, process.exitValue(), output);
        }

        Set<String> expected = new HashSet<>();
        for (String prefix : List.of("proc_a_", "proc_b_", "here_")) {
            for (int i = 0; i < perWriter; i++) {
                expected.add(prefix + i);
            }
        }
        assertEquals(expected, ids(store()));
        assertEquals(expected, ids(here));
        for (Account account : here.snapshot().accounts()) {
            if (account.id().startsWith("proc_")) {
                long n = Long.parseLong(account.id().substring(account.id().lastIndexOf('_') + 1));
                assertEquals(n + 1, account.stats().totalRequests(), account.id());
            }
        }
    }

    @Test
    void reopensWithEverythingAfterACleanStop() throws Exception {
        AccountStore first = store();
        first.putAccount(fullAccount("acc_1"));
        first.putUser(new User("u", "n", "h", null, null));
        first.saveRuntime(List.of(runtime("acc_1", 42)));
        StoreSnapshot written = first.snapshot();
        close(first);

        AccountStore second = store();
        StoreSnapshot read = second.snapshot();
        assertEquals(written.accounts(), read.accounts());
        assertEquals(written.users(), read.users());
        second.putAccount(account("acc_2"));
        assertEquals(2, second.snapshot().accounts().size());
    }

    @Test
    void everyWriteAcknowledgedBeforeAKill9IsThereAfterwards() throws Exception {
        AccountStore before = store();
        before.putAccount(account("existing"));
        Process writer = StoreWriterProcess.start(getClass(), dir, "k_", StoreWriterProcess.ENDLESS, null);
        Map<String, Long> acknowledged = new LinkedHashMap<>();
        try (BufferedReader output = new BufferedReader(new InputStreamReader(writer.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line = output.readLine(); line != null && acknowledged.size() < 25; line = output.readLine()) {
                if (line.startsWith(StoreWriterProcess.ACK)) {
                    String[] parts = line.substring(StoreWriterProcess.ACK.length()).split(" ");
                    acknowledged.put(parts[0], Long.parseLong(parts[1]));
                }
            }
            // SIGKILL in the middle of the writer's next write: no shutdown hook, no close.
            writer.destroyForcibly();
            assertTrue(writer.waitFor(30, TimeUnit.SECONDS));
        }
        assertEquals(25, acknowledged.size(), "the writer acknowledged writes before it was killed");

        AccountStore after = store();
        Map<String, Account> byId = new LinkedHashMap<>();
        after.snapshot().accounts().forEach(account -> byId.put(account.id(), account));
        assertTrue(byId.containsKey("existing"));
        acknowledged.forEach((id, requests) -> {
            Account account = byId.get(id);
            assertTrue(account != null, id + " was acknowledged but is missing");
            assertEquals(requests, account.stats().totalRequests(), id);
        });
        after.putAccount(account("after_the_crash"));
        assertTrue(ids(store()).contains("after_the_crash"), "the store takes writes after the crash");
    }

    /**
     * Kill rounds per store in {@code mvn verify}; {@code -Drotor.crashLoops=250} runs the full
     * figure (each round starts a JVM, so the default keeps the build quick).
     */
    static final int CRASH_LOOPS = Integer.getInteger("rotor.crashLoops", 8);

    @Test
    void repeatedKill9AtRandomMomentsNeverLosesAnAcknowledgedWriteNorCorruptsTheStore() throws Exception {
        java.util.Random random = new java.util.Random();
        int killedMidWrite = 0;
        for (int round = 0; round < CRASH_LOOPS; round++) {
            Path folder = dir.resolve("crash-" + round);
            Files.createDirectories(folder);
            AccountStore seeded = open(folder);
            seeded.putAccount(account("existing"));
            close(seeded);
            int ackBeforeKill = 1 + random.nextInt(4);
            Process writer = StoreWriterProcess.start(getClass(), folder, "k_", StoreWriterProcess.ENDLESS, null);
            Map<String, Long> acknowledged = new LinkedHashMap<>();
            try (BufferedReader output = new BufferedReader(new InputStreamReader(writer.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = output.readLine(); line != null; line = output.readLine()) {
                    if (line.startsWith(StoreWriterProcess.ACK)) {
                        String[] parts = line.substring(StoreWriterProcess.ACK.length()).split(" ");
                        acknowledged.put(parts[0], Long.parseLong(parts[1]));
                        if (acknowledged.size() == ackBeforeKill) {
                            break;
                        }
                    }
                }
                // A random moment inside the next writes: up to ~3 ms, several fsyncs' worth.
                java.util.concurrent.locks.LockSupport.parkNanos(random.nextInt(3_000_000));
                // kill(1) rather than destroyForcibly(), which would also close our end of the pipe.
                new ProcessBuilder("kill", "-9", Long.toString(writer.pid())).start().waitFor();
                assertTrue(writer.waitFor(30, TimeUnit.SECONDS));
                // Acks printed before the kill but not yet read count too.
                for (String line = output.readLine(); line != null; line = output.readLine()) {
                    if (line.startsWith(StoreWriterProcess.ACK)) {
                        String[] parts = line.substring(StoreWriterProcess.ACK.length()).split(" ");
                        acknowledged.put(parts[0], Long.parseLong(parts[1]));
                    }
                }
            }
            AccountStore after = open(folder);
            Map<String, Account> byId = new LinkedHashMap<>();
            after.snapshot().accounts().forEach(account -> byId.put(account.id(), account));
            String inFlight = "k_" + acknowledged.size();
            assertTrue(byId.containsKey("existing"), "round " + round);
            for (Map.Entry<String, Long> ack : acknowledged.entrySet()) {
                Account account = byId.get(ack.getKey());
                assertTrue(account != null, "round " + round + ": " + ack.getKey() + " acknowledged but missing");
                assertEquals(ack.getValue(), account.stats().totalRequests(), "round " + round);
            }
            Set<String> unexpected = new HashSet<>(byId.keySet());
            unexpected.removeAll(acknowledged.keySet());
            unexpected.remove("existing");
            if (unexpected.remove(inFlight)) {
                long requests = byId.get(inFlight).stats().totalRequests();
                assertTrue(requests == 0 || requests == acknowledged.size() + 1, "round " + round + ": " + requests);
                killedMidWrite++;
            }
            assertEquals(Set.of(), unexpected, "round " + round + ": only the write in flight may show up");
            after.putAccount(account("after_the_crash"));
            close(after);
        }
        System.out.println(getClass().getSimpleName() + ": " + CRASH_LOOPS + " kill -9 rounds, " + killedMidWrite
                + " with the unacknowledged write in flight visible; no acknowledged write lost");
    }

    /** The ids of the store's accounts, failing on duplicates. */
    protected static Set<String> ids(AccountStore store) {
        List<String> ids = store.snapshot().accounts().stream().map(Account::id).toList();
        Set<String> unique = new HashSet<>(ids);
        assertEquals(ids.size(), unique.size(), "duplicate ids");
        return unique;
    }
}
