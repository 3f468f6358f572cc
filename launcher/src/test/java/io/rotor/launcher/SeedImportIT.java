package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rotor.api.SecretCipher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code rotor accounts import FILE}: a seed tool's accounts.json, re-encrypted under Rotor's key. */
class SeedImportIT {

    /** The seed installation's key, unlike Rotor's {@link RotorHarness#ENCRYPTION_KEY}. */
    static final String OLD_KEY = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
    /**
     * Produced once with Node's crypto exactly as the seed tool encrypts (aes-256-gcm, 16-byte IV, no
     * associated data, base64 iv:ct:tag) under {@link #OLD_KEY}.
     */
    static final String PASSWORD_ONE = "canary-seed-pw-one-3f9a";
    static final String CIPHERTEXT_ONE = "nl//luJ5TvOgZiTF3gfRcw==:7DKJuPxL6Dp2gIqtuR5WOzwIpyDmJRg=:Qr1U8Yht9iFyvqUoe9ubag==";
    static final String PASSWORD_TWO = "canary-seed-pw-two-b71c";
    static final String CIPHERTEXT_TWO = "z3iInRDUonfAqxdAFShdJw==:x3h0hs79W3bP15Eg5ZRLNxFswvwwl48=:gpru7U2bIwoSlYXBVtWvqA==";
    static final String ID_ONE = "acc_1739900000000_abc123xyz";
    static final String ID_TWO = "acc_1739900000001_def456uvw";

    @TempDir
    Path dir;
    private RotorHarness harness;

    @BeforeEach
    void setUp() {
        harness = new RotorHarness(dir, Map.of());
    }

    @AfterEach
    void tearDown() {
        harness.close();
    }

    private Cli.Result rotor(String stdin, String... args) {
        return Cli.run(harness.configFile, stdin, args);
    }

    private static String account(String id, String email, String password, String status, long requests,
            String name) {
        return """
                {
                  "id": "%s",
                  "email": "%s",
                  "password": "%s",
                  "encryptionMethod": "aes-256-gcm",
                  "status": "%s",
                  "createdAt": "2026-02-19T00:00:00.000Z",
                  "lastUsed": "2026-02-19T12:00:00.000Z",
                  "stats": {"totalRequests": %d, "successfulRequests": %d, "failedRequests": 2,
                            "rateLimitHits": 1, "lastRequestAt": "2026-02-19T12:00:00.000Z"},
                  "rateLimit": {"requestsThisMinute": 5, "windowStart": "2026-02-19T12:00:00.000Z", "blockedUntil": null},
                  "priority": 2,
                  "metadata": {"name": "%s", "tags": ["production", "primary"]}
                }""".formatted(id, email, password, status, requests, requests - 2, name);
    }

    private Path seedFile(String... accounts) throws Exception {
        Path file = dir.resolve("seed/accounts.json");
        Files.createDirectories(file.getParent());
        Files.writeString(file, """
                {
                  "version": "1.0",
                  "createdAt": "2026-02-19T00:00:00.000Z",
                  "updatedAt": "2026-02-19T00:00:00.000Z",
                  "accounts": [%s],
                  "settings": {"rotationStrategy": "round-robin", "rateLimitPerAccount": 10}
                }
                """.formatted(String.join(",\n", accounts)));
        return file;
    }

    private Path twoAccounts() throws Exception {
        return seedFile(account(ID_ONE, "first.person@example.com", CIPHERTEXT_ONE, "active", 150, "Primary Account"),
                account(ID_TWO, "second@example.com", CIPHERTEXT_TWO, "inactive", 10, "Backup"));
    }

    private static void assertNoSecretIn(Cli.Result result) {
        for (String secret : new String[] {PASSWORD_ONE, PASSWORD_TWO, OLD_KEY, RotorHarness.ENCRYPTION_KEY,
                CIPHERTEXT_ONE, "first.person@"}) {
            assertFalse(result.printed().contains(secret), "printed " + secret + ":\n" + result);
        }
    }

    @Test
    void importsEveryAccountKeepingItsStateAndReEncryptsItsPasswordUnderRotorsKey() throws Exception {
        Path file = twoAccounts();
        Cli.Result imported = rotor(OLD_KEY + "\n", "accounts", "import", file.toString(), "--old-key-stdin");
        assertEquals(0, imported.exitCode(), imported.toString());
        assertTrue(imported.out().contains("Imported " + ID_ONE + " (Primary Account): k2think, active, 150 requests"),
                imported.out());
        assertTrue(imported.out().contains("Imported 2, skipped 0, failed 0 of 2 accounts"), imported.out());
        assertNoSecretIn(imported);

        JsonNode accounts = RotorHarness.json(rotor("", "accounts", "list", "--json").out()).get("data");
        assertEquals(2, accounts.size());
        JsonNode one = accounts.get(0).get("id").asText().equals(ID_ONE) ? accounts.get(0) : accounts.get(1);
        JsonNode two = one == accounts.get(0) ? accounts.get(1) : accounts.get(0);
        assertEquals("k2think", one.get("upstream").asText());
        assertEquals("default", one.get("pool").asText());
        assertEquals("Primary Account", one.get("name").asText());
        assertEquals("fir***@example.com", one.get("email").asText());
        assertEquals("active", one.get("status").asText());
        assertEquals(2, one.get("priority").asInt());
        assertEquals("[\"production\",\"primary\"]", one.get("tags").toString());
        assertEquals(150, one.at("/stats/totalRequests").asInt());
        assertEquals(148, one.at("/stats/successfulRequests").asInt());
        assertEquals(1, one.at("/stats/rateLimitHits").asInt());
        assertEquals(5, one.at("/rateLimit/requestsThisWindow").asInt());
        assertEquals("2026-02-19T00:00:00Z", one.get("createdAt").asText());
        assertEquals("inactive", two.get("status").asText());

        String store = Files.readString(harness.storeFile());
        assertFalse(store.contains(PASSWORD_ONE) || store.contains(PASSWORD_TWO), "passwords are stored encrypted");
        assertFalse(store.contains(CIPHERTEXT_ONE) || store.contains(CIPHERTEXT_TWO), "re-encrypted, not copied");
        // The gateway starts only if every stored secret decrypts under its key; then check the plaintext.
        harness.start();
        SecretCipher cipher = harness.service(SecretCipher.class);
        JsonNode stored = RotorHarness.json(store).get("accounts");
        for (JsonNode account : stored) {
            String plain = cipher.decrypt(account.get("password").asText(), account.get("id").asText());
            assertEquals(account.get("id").asText().equals(ID_ONE) ? PASSWORD_ONE : PASSWORD_TWO, plain);
            assertEquals(cipher.keyId(), account.get("encryptionKeyId").asText());
        }
    }

    @Test
    void importsTheSeedToolsOwnVectorWithTheOldKeyFromAFile() throws Exception {
        Path file = seedFile(account(ID_ONE, "user1@example.com", SeedStoreIT.SEED_PASSWORD, "active", 3, "One"));
        Path keyFile = dir.resolve("old.key");
        Files.writeString(keyFile, RotorHarness.ENCRYPTION_KEY + "\n");
        Cli.Result imported = rotor("", "accounts", "import", file.toString(), "--old-key-file", keyFile.toString());
        assertEquals(0, imported.exitCode(), imported.toString());
        assertFalse(imported.printed().contains("hunter2-seed-password"));
        harness.start();
        String ciphertext = RotorHarness.json(Files.readString(harness.storeFile())).at("/accounts/0/password").asText();
        assertEquals("hunter2-seed-password", harness.service(SecretCipher.class).decrypt(ciphertext, ID_ONE));
    }

    @Test
    void aWrongOldKeyFailsWithOneLineAndImportsNothing() throws Exception {
        // The first account decrypts under OLD_KEY, the second does not: still nothing is imported.
        Path file = seedFile(account(ID_ONE, "a@example.com", CIPHERTEXT_ONE, "active", 3, "One"),
                account(ID_TWO, "b@example.com", SeedStoreIT.SEED_PASSWORD, "active", 3, "Two"));
        Cli.Result refused = rotor(OLD_KEY + "\n", "accounts", "import", file.toString(), "--old-key-stdin");
        assertNotEquals(0, refused.exitCode());
        assertEquals(1, refused.err().strip().lines().count(), refused.toString());
        assertTrue(refused.err().contains("does not decrypt the password of account " + ID_TWO), refused.err());
        assertTrue(refused.err().contains("nothing was imported"), refused.err());
        assertNoSecretIn(refused);
        assertFalse(Files.exists(harness.storeFile()), "the store was not even opened");
    }

    @Test
    void accountsThatAlreadyExistAreSkippedAndReported() throws Exception {
        Path file = twoAccounts();
        Path keyFile = dir.resolve("old.key");
        Files.writeString(keyFile, OLD_KEY);
        assertEquals(0, rotor("", "accounts", "import", file.toString(), "--old-key-file", keyFile.toString())
                .exitCode());
        String before = Files.readString(harness.storeFile());
        Cli.Result again = rotor("", "accounts", "import", file.toString(), "--old-key-file", keyFile.toString());
        assertEquals(0, again.exitCode(), again.toString());
        assertTrue(again.out().contains("Skipped " + ID_ONE + " (Primary Account): an account with this id already"
                + " exists."), again.out());
        assertTrue(again.out().contains("Imported 0, skipped 2, failed 0 of 2 accounts"), again.out());
        assertEquals(before, Files.readString(harness.storeFile()));
    }

    @Test
    void anAccountWithTheEmailOfAnExistingOneIsSkipped() throws Exception {
        assertEquals(0, rotor("pw-existing\n", "accounts", "add", "--upstream", "k2think", "--email",
                "First.Person@example.com", "--password-stdin").exitCode());
        Cli.Result imported = rotor(OLD_KEY + "\n", "accounts", "import", twoAccounts().toString(), "--old-key-stdin");
        assertEquals(0, imported.exitCode(), imported.toString());
        assertTrue(imported.out().contains("Skipped " + ID_ONE + " (Primary Account): account acc_"), imported.out());
        assertTrue(imported.out().contains("Imported 1, skipped 1, failed 0 of 2 accounts"), imported.out());
    }

    @Test
    void badKeysAndFilesFailWithOneLineAndImportNothing() throws Exception {
        Path file = twoAccounts();
        Cli.Result noKey = rotor("", "accounts", "import", file.toString());
        assertNotEquals(0, noKey.exitCode());
        assertTrue(noKey.err().contains("no old key") && noKey.err().contains(SeedImportCommand.OLD_KEY_ENV),
                noKey.err());
        Cli.Result shortKey = rotor("abc123-not-a-key\n", "accounts", "import", file.toString(), "--old-key-stdin");
        assertTrue(shortKey.err().contains("must be 64 hex characters"), shortKey.err());
        assertFalse(shortKey.printed().contains("abc123-not-a-key"));
        Cli.Result missing = rotor(OLD_KEY + "\n", "accounts", "import", dir.resolve("nope.json").toString(),
                "--old-key-stdin");
        assertTrue(missing.err().contains("file not found"), missing.err());
        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "{\"accounts\": [");
        Cli.Result notJson = rotor(OLD_KEY + "\n", "accounts", "import", broken.toString(), "--old-key-stdin");
        assertTrue(notJson.err().contains("is not valid JSON"), notJson.err());
        Files.writeString(broken, "{\"users\": []}");
        Cli.Result notSeed = rotor(OLD_KEY + "\n", "accounts", "import", broken.toString(), "--old-key-stdin");
        assertTrue(notSeed.err().contains("no \"accounts\" list"), notSeed.err());
        for (Cli.Result failed : new Cli.Result[] {noKey, shortKey, missing, notJson, notSeed}) {
            assertNotEquals(0, failed.exitCode());
            assertEquals(1, failed.err().strip().lines().count(), failed.toString());
        }
        assertFalse(Files.exists(harness.storeFile()));
    }
}
