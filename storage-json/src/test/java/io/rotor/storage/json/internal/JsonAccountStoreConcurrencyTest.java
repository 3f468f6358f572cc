package io.rotor.storage.json.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rotor.api.Account;
import io.rotor.api.AccountRuntime;
import io.rotor.api.AccountStats;
import io.rotor.api.AccountStatus;
import io.rotor.api.RateLimitState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server and the CLI write one file at the same time: neither may lose the other's change. */
class JsonAccountStoreConcurrencyTest {

    @TempDir
    Path dir;

    @Test
    void twoStoresOnOneFileAddingFromManyThreadsLoseNothing() throws Exception {
        Path file = dir.resolve("accounts.json");
        List<JsonAccountStore> stores = List.of(new JsonAccountStore(file), new JsonAccountStore(file));
        int threadsPerStore = 4;
        int accountsPerThread = 10;
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(stores.size() * threadsPerStore)) {
            for (int s = 0; s < stores.size(); s++) {
                for (int t = 0; t < threadsPerStore; t++) {
                    JsonAccountStore store = stores.get(s);
                    String prefix = "acc_" + s + "_" + t + "_";
                    done.add(pool.submit(() -> {
                        start.await();
                        for (int i = 0; i < accountsPerThread; i++) {
                            store.putAccount(JsonAccountStoreTest.account(prefix + i));
                            store.snapshot();
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
        for (JsonAccountStore store : stores) {
            assertEquals(expected, ids(store).size());
        }
        assertEquals(expected, ids(new JsonAccountStore(file)).size());
    }

    @Test
    void saveRuntimeKeepsAFieldTheOtherStoreChangedMeanwhile() {
        Path file = dir.resolve("accounts.json");
        JsonAccountStore server = new JsonAccountStore(file);
        JsonAccountStore cli = new JsonAccountStore(file);
        server.putAccount(JsonAccountStoreTest.account("acc_1"));
        Account seenByServer = server.snapshot().accounts().get(0);

        Account changedByCli = cli.snapshot().accounts().get(0);
        cli.putAccount(new Account(changedByCli.id(), changedByCli.upstream(), "team-b", "renamed",
                AccountStatus.INACTIVE, "paused", 9, 5, List.of("t"), 2, changedByCli.createdAt(),
                changedByCli.lastUsed(), changedByCli.email(), changedByCli.secrets(),
                changedByCli.encryptionKeyId(), changedByCli.stats(), changedByCli.rateLimit()));
        AccountStats stats = new AccountStats(3, 2, 1, 0, Instant.parse("2026-03-02T00:00:00.000Z"));
        server.saveRuntime(List.of(new AccountRuntime(seenByServer.id(), null, null,
                Instant.parse("2026-03-02T00:00:00.000Z"), stats, new RateLimitState(3, Instant.parse("2026-03-02T00:00:00.000Z"), null))));

        for (JsonAccountStore store : List.of(server, cli, new JsonAccountStore(file))) {
            Account account = store.snapshot().accounts().get(0);
            assertEquals("team-b", account.pool());
            assertEquals("renamed", account.name());
            assertEquals(AccountStatus.INACTIVE, account.status());
            assertEquals(9, account.priority());
            assertEquals(5, account.weight());
            assertEquals(stats, account.stats());
            assertEquals(3, account.rateLimit().requestsThisWindow());
        }
    }

    @Test
    void twoProcessesWritingAtOnceLoseNothing() throws Exception {
        Path file = dir.resolve("accounts.json");
        Path gate = dir.resolve("gate");
        int perWriter = 50;
        List<String> prefixes = List.of("proc_a_", "proc_b_");
        String java = ProcessHandle.current().info().command().orElse("java");
        List<Process> processes = new ArrayList<>();
        for (String prefix : prefixes) {
            processes.add(new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    StoreWriterProcess.class.getName(), file.toString(), prefix, Integer.toString(perWriter),
                    gate.toString())
                    .redirectErrorStream(true)
                    .start());
        }
        for (String prefix : prefixes) {
            Path ready = dir.resolve("gate." + prefix);
            for (int waited = 0; !Files.exists(ready); waited++) {
                assertTrue(waited < 60_000, "writer process did not start");
                Thread.sleep(1);
            }
        }
        Files.createFile(gate);
        // This JVM writes too, so the in-process lock and the file lock are exercised together.
        JsonAccountStore here = new JsonAccountStore(file);
        for (int i = 0; i < perWriter; i++) {
            here.putAccount(JsonAccountStoreTest.account("here_" + i));
        }
        for (Process process : processes) {
            assertTrue(process.waitFor(2, TimeUnit.MINUTES), "writer process did not finish");
            String output = output(process);
            assertEquals(0, process.exitValue(), output);
        }

        Set<String> expected = new HashSet<>();
        for (String prefix : List.of("proc_a_", "proc_b_", "here_")) {
            for (int i = 0; i < perWriter; i++) {
                expected.add(prefix + i);
            }
        }
        assertEquals(expected, ids(new JsonAccountStore(file)));
        assertEquals(expected, ids(here));
    }

    private static Set<String> ids(JsonAccountStore store) {
        List<String> ids = store.snapshot().accounts().stream().map(Account::id).toList();
        Set<String> unique = new HashSet<>(ids);
        assertEquals(ids.size(), unique.size(), "duplicate ids");
        return unique.stream().collect(Collectors.toSet());
    }

    private static String output(Process process) throws IOException {
        return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
}
