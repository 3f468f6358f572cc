package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rotor.api.Account;
import io.rotor.api.AccountStatus;
import io.rotor.api.AccountStore;
import io.rotor.api.Admin;
import io.rotor.api.NewAccount;
import io.rotor.api.SecretCipher;
import io.rotor.core.engine.internal.crypto.AesGcmSecretCipher;
import io.rotor.storage.json.internal.JsonAccountStore;
import io.rotor.storage.sqlite.internal.SqliteAccountStore;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code rotor keys rotate} on the real bundles: killed with SIGKILL at random moments of its work and run
 * again, it completes, for both stores and both key sources; a running server keeps serving through it.
 */
class KeysRotateIT {

    private static final String NEW_KEY = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
    /** More than two of the rotation's batches, so a kill can land between them. */
    private static final int ACCOUNTS = 120;
    private static final int KILLS = Integer.getInteger("rotor.rotateKills", 3);

    @TempDir
    Path dir;

    private final Random random = new Random();

    private static Map<String, String> storeSettings(String store, boolean keyFile) {
        Map<String, String> settings = new HashMap<>(Map.of("store", store, "store.sqlite.path", "data/rotor.db"));
        if (keyFile) {
            settings.put("security.encryptionKey", "");
        }
        return settings;
    }

    /** Adds {@link #ACCOUNTS} accounts named {@code n<i>} with API key {@code sk-<i>}, through the real engine. */
    private static void addAccounts(RotorHarness harness) {
        try (RotorRuntime runtime = RotorRuntime.start(RotorConfig.load(harness.configFile), RotorRuntime.Mode.CLI)) {
            runtime.await(Admin.class).addAccounts(IntStream.range(0, ACCOUNTS).mapToObj(i -> new NewAccount("openai",
                    null, "n" + i, null, Map.of(Account.SECRET_API_KEY, "sk-" + i), null, null, null, null, false))
                    .toList());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"json", "sqlite"})
    void aKeyFileRotationKilledAtRandomMomentsCompletesWhenRunAgain(String store) throws Exception {
        RotorHarness harness = new RotorHarness(dir, storeSettings(store, true));
        addAccounts(harness);
        Path keyFile = dir.resolve("data/.encryption_key");
        String firstKey = Files.readString(keyFile);

        killMidwayAndRerun(harness, store, () -> new AesGcmSecretCipher(null, keyFile), List.of());

        String finalKey = Files.readString(keyFile);
        assertNotEquals(firstKey, finalKey);
        assertEveryAccountUnder(harness, store, new AesGcmSecretCipher(finalKey, dir.resolve("unused")));
        try (Stream<Path> files = Files.list(keyFile.getParent())) {
            List<String> left = files.map(f -> f.getFileName().toString())
                    .filter(name -> name.startsWith(".encryption_key.") && !name.endsWith(".lock")).toList();
            assertEquals(List.of(), left, "no .new, .old or temp key file is left");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"json", "sqlite"})
    void aConfiguredKeyRotationKilledAtRandomMomentsCompletesWhenRunAgainWithTheSameKey(String store) throws Exception {
        RotorHarness harness = new RotorHarness(dir, storeSettings(store, false));
        addAccounts(harness);
        Path newKeyFile = dir.resolve("new.key");
        Files.writeString(newKeyFile, NEW_KEY + "\n");
        AesGcmSecretCipher old = new AesGcmSecretCipher(RotorHarness.ENCRYPTION_KEY, dir.resolve("unused"));
        AesGcmSecretCipher next = new AesGcmSecretCipher(NEW_KEY, dir.resolve("unused"));

        String summary = killMidwayAndRerun(harness, store, () -> new EitherKey(old, next),
                List.of("--new-key-file", newKeyFile.toString()));

        assertTrue(summary.contains("Now set security.encryptionKey (or ACCOUNT_ENCRYPTION_KEY) to the new key"), summary);
        assertFalse(summary.contains(NEW_KEY) || summary.contains(RotorHarness.ENCRYPTION_KEY));
        assertFalse(Files.exists(dir.resolve("data/.encryption_key")), "a configured key never lands in a file");
        assertEveryAccountUnder(harness, store, next);
    }

    /**
     * Runs {@code keys rotate} in a child JVM {@link #KILLS} times, each killed with SIGKILL at a random moment
     * after its first change on disk, checks after each kill that every secret still decrypts (under the old or
     * the new key), then runs it to the end and returns its summary line.
     */
    private String killMidwayAndRerun(RotorHarness harness, String store, java.util.function.Supplier<SecretCipher> keys,
            List<String> extra) throws Exception {
        Path data = dir.resolve("data");
        int landedMidway = 0;
        for (int round = 0; round < KILLS; round++) {
            Map<Path, List<Object>> before = stamps(data);
            Process child = rotate(harness, extra);
            try {
                while (child.isAlive() && stamps(data).equals(before)) {
                    Thread.onSpinWait();
                }
                Thread.sleep(random.nextInt(15));
                child.destroyForcibly(); // SIGKILL
                assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            } finally {
                child.destroyForcibly();
            }
            boolean keyFilesMidway = Files.exists(data.resolve(".encryption_key.new"))
                    || Files.exists(data.resolve(".encryption_key.old"));
            if (keyFilesMidway || keyIds(harness, store).values().stream().distinct().count() > 1) {
                landedMidway++;
            }
            assertEveryAccountDecrypts(harness, store, keys.get());
        }
        System.out.println("keys rotate (" + store + "): " + KILLS + " kills, " + landedMidway
                + " of them left a rotation unfinished (accounts under both keys, or .new/.old key files)");
        Process last = rotate(harness, extra);
        assertTrue(last.waitFor(120, TimeUnit.SECONDS));
        String output = new String(last.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, last.exitValue(), output);
        String summary = output.lines().filter(line -> line.contains("account")).reduce((a, b) -> b).orElse("");
        assertTrue(summary.matches("(Rotated the encryption key|Finished an interrupted key rotation): \\d+ of "
                + ACCOUNTS + " accounts re-encrypted now, all under key id [0-9a-f]{16}.*"), output);
        return summary;
    }

    private Process rotate(RotorHarness harness, List<String> extra) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-Drotor.home=" + System.getProperty("rotor.home"),
                "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "keys", "rotate", "--config", harness.configFile.toString()));
        command.addAll(extra);
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    /**
     * What identifies each file's version in the data folder (the store and the key files), leaving out what
     * merely opening a store touches: lock files, SQLite's shared memory, and an empty WAL coming or going.
     */
    private static Map<Path, List<Object>> stamps(Path folder) throws IOException {
        Map<Path, List<Object>> stamps = new HashMap<>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path file : files.toList()) {
                String name = file.getFileName().toString();
                if (name.endsWith(".lock") || name.endsWith("-shm")) {
                    continue;
                }
                try {
                    BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
                    if (name.endsWith("-wal")) {
                        if (attributes.size() > 0) {
                            stamps.put(file, List.of(attributes.size()));
                        }
                        continue;
                    }
                    stamps.put(file, List.of(String.valueOf(attributes.fileKey()), attributes.size(),
                            attributes.lastModifiedTime()));
                } catch (IOException e) {
                    // gone between list and stat: a temp file
                }
            }
        }
        return stamps;
    }

    private AccountStore openStore(String store) {
        return store.equals("json") ? new JsonAccountStore(dir.resolve("data/accounts.json"))
                : new SqliteAccountStore(dir.resolve("data/rotor.db"));
    }

    private Map<String, String> keyIds(RotorHarness harness, String store) throws Exception {
        AccountStore opened = openStore(store);
        try {
            Map<String, String> ids = new HashMap<>();
            opened.snapshot().accounts().forEach(account -> ids.put(account.id(), account.encryptionKeyId()));
            return ids;
        } finally {
            if (opened instanceof AutoCloseable closeable) {
                closeable.close();
            }
        }
    }

    private void assertEveryAccountDecrypts(RotorHarness harness, String store, SecretCipher cipher) throws Exception {
        AccountStore opened = openStore(store);
        try {
            List<Account> accounts = opened.snapshot().accounts();
            assertEquals(ACCOUNTS, accounts.size());
            for (Account account : accounts) {
                assertEquals("sk-" + account.name().substring(1), cipher.decrypt(
                        account.secrets().get(Account.SECRET_API_KEY), account.id(), account.encryptionKeyId()));
            }
        } finally {
            if (opened instanceof AutoCloseable closeable) {
                closeable.close();
            }
        }
    }

    /** Every account under {@code cipher}'s key, and the engine starts on the store with none invalid. */
    private void assertEveryAccountUnder(RotorHarness harness, String store, AesGcmSecretCipher cipher)
            throws Exception {
        assertEquals(Map.of(cipher.keyId(), ACCOUNTS), keyIds(harness, store).values().stream()
                .collect(java.util.stream.Collectors.toMap(id -> id, id -> 1, Integer::sum)));
        assertEveryAccountDecrypts(harness, store, cipher);
    }

    /** Decrypts with whichever of two keys the account records: what a reader sees during a rotation. */
    private record EitherKey(AesGcmSecretCipher old, AesGcmSecretCipher next) implements SecretCipher {
        @Override
        public String decrypt(String ciphertext, String accountId, String keyId) {
            return (next.keyId().equals(keyId) ? next : old).decrypt(ciphertext, accountId, keyId);
        }

        @Override
        public String encrypt(String plaintext, String accountId) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Sealed seal(Map<String, String> plainSecrets, String accountId) {
            throw new UnsupportedOperationException();
        }

        @Override
        public String decrypt(String ciphertext, String accountId) {
            throw new UnsupportedOperationException();
        }

        @Override
        public String keyId() {
            return next.keyId();
        }
    }

    @Test
    void aRunningServerKeepsServingEveryAccountThroughAKeyFileRotation() throws Exception {
        try (FakeOpenAi upstream = new FakeOpenAi()) {
            Map<String, String> settings = storeSettings("json", true);
            settings.putAll(Map.of("upstream.fake.type", "openai", "upstream.fake.baseUrl", upstream.baseUrl(),
                    "upstream.fake.models", "*", "rateLimit.perAccount", "0"));
            try (RotorHarness server = new RotorHarness(dir, settings).start()) {
                for (String key : List.of("sk-a", "sk-b", "sk-c")) {
                    upstream.key(key, FakeOpenAi.KeyRule.unlimited());
                    server.addApiKeyAccount("fake", key, key);
                }
                String user = server.addUser("u");
                assertEquals(200, server.chat(user, "m", false).statusCode()); // every secret now decrypted in memory

                Cli.Result rotated = Cli.run(server.configFile, "", "keys", "rotate");

                assertEquals(0, rotated.exitCode(), rotated.toString());
                assertTrue(rotated.out().contains("3 of 3 accounts re-encrypted now"), rotated.out());
                String newKeyId = new AesGcmSecretCipher(null, dir.resolve("data/.encryption_key")).keyId();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!server.admin().accounts().stream().allMatch(a -> newKeyId.equals(a.encryptionKeyId()))) {
                    assertTrue(System.nanoTime() < deadline, "the server did not reload the rotated store");
                    Thread.sleep(50);
                }
                // The server reloads the store, meets ciphertexts under a key id it lacks, and reads the key file again.
                for (int i = 0; i < 6; i++) {
                    HttpResponse<String> response = server.chat(user, "m", false);
                    assertEquals(200, response.statusCode(), response.body());
                }
                for (String key : List.of("sk-a", "sk-b", "sk-c")) {
                    assertTrue(upstream.served(key) >= 2, key + " served " + upstream.served(key));
                }
                for (Account account : server.admin().accounts()) {
                    assertEquals(AccountStatus.ACTIVE, account.status());
                }
                // An account added after the rotation is under the new key too.
                Account added = server.addApiKeyAccount("fake", "sk-d", "sk-d");
                assertEquals(new AesGcmSecretCipher(null, dir.resolve("data/.encryption_key")).keyId(),
                        openStore("json").snapshot().accounts().stream().filter(a -> a.id().equals(added.id()))
                                .findFirst().orElseThrow().encryptionKeyId());
            }
        }
    }

    @Test
    void aServerWithTheOldConfiguredKeySkipsRotatedAccountsWithoutDisablingThemUntilRestartedWithTheNewKey()
            throws Exception {
        try (FakeOpenAi upstream = new FakeOpenAi()) {
            upstream.key("sk-a", FakeOpenAi.KeyRule.unlimited());
            Map<String, String> settings = new HashMap<>(Map.of("upstream.fake.type", "openai",
                    "upstream.fake.baseUrl", upstream.baseUrl(), "upstream.fake.models", "*", "rateLimit.perAccount", "0"));
            String user;
            try (RotorHarness server = new RotorHarness(dir, settings).start()) {
                server.addApiKeyAccount("fake", "sk-a", "a");
                user = server.addUser("u");

                Cli.Result rotated = Cli.run(server.configFile, NEW_KEY + "\n", "keys", "rotate", "--new-key-stdin");

                assertEquals(0, rotated.exitCode(), rotated.toString());
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                HttpResponse<String> response;
                do {
                    response = server.chat(user, "m", false);
                } while (response.statusCode() == 200 && System.nanoTime() < deadline);
                assertEquals(502, response.statusCode(), response.body());
                assertEquals(AccountStatus.ACTIVE, server.admin().accounts().get(0).status());
            }
            settings.put("security.encryptionKey", NEW_KEY);
            try (RotorHarness restarted = new RotorHarness(dir, settings).start()) {
                assertEquals(200, restarted.chat(user, "m", false).statusCode());
            }
        }
    }

    @Test
    void badInputGetsAOneLineReasonAndChangesNothing() throws Exception {
        RotorHarness configured = new RotorHarness(dir, storeSettings("json", false));
        try (configured) {
            configured.start();
            configured.addApiKeyAccount("openai", "sk-1", "one");
        }
        byte[] store = Files.readAllBytes(configured.storeFile());
        Path shortKey = dir.resolve("short.key");
        Files.writeString(shortKey, "abcdef");
        Map<List<String>, String> cases = Map.of(
                List.of("keys", "rotate"), "give the new key with --new-key-stdin or --new-key-file F",
                List.of("keys", "rotate", "--new-key-file", shortKey.toString()), "64 hex characters",
                List.of("keys", "rotate", "--new-key-file", dir.resolve("missing").toString()), "new key file not found",
                List.of("keys", "rotate", "--new-key-stdin", "--new-key-file", shortKey.toString()), "not both",
                List.of("keys", "rotate", "--new-key-stdin"), "the new key is the configured key");
        for (Map.Entry<List<String>, String> bad : cases.entrySet()) {
            Cli.Result result = Cli.run(configured.configFile, RotorHarness.ENCRYPTION_KEY + "\n",
                    bad.getKey().toArray(String[]::new));
            assertNotEquals(0, result.exitCode(), result.toString());
            assertEquals(1, result.err().lines().count(), result.toString());
            assertTrue(result.err().startsWith("rotor: ") && result.err().contains(bad.getValue()), result.toString());
            assertFalse(result.printed().contains(RotorHarness.ENCRYPTION_KEY));
            assertEquals(new String(store, StandardCharsets.UTF_8),
                    new String(Files.readAllBytes(configured.storeFile()), StandardCharsets.UTF_8));
        }
        Cli.Result help = Cli.run(null, "", "keys", "rotate", "--help");
        assertEquals(0, help.exitCode());
        assertTrue(help.out().contains("--new-key-stdin") && help.out().contains("--new-key-file"), help.out());

        Files.writeString(configured.configFile, Files.readString(configured.configFile)
                .replace("security.encryptionKey = " + RotorHarness.ENCRYPTION_KEY, "security.encryptionKey = "));
        Cli.Result keyFileWithKey = Cli.run(configured.configFile, NEW_KEY + "\n", "keys", "rotate", "--new-key-stdin");
        assertNotEquals(0, keyFileWithKey.exitCode());
        assertTrue(keyFileWithKey.err().contains("are for a configured key"), keyFileWithKey.toString());
    }
}
