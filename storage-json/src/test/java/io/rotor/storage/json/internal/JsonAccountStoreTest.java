package io.rotor.storage.json.internal;

import static io.rotor.store.contract.AccountStoreContract.account;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rotor.api.Account;
import io.rotor.api.AccountRuntime;
import io.rotor.api.AccountStats;
import io.rotor.api.AccountStatus;
import io.rotor.api.ErrorCode;
import io.rotor.api.Pool;
import io.rotor.api.RateLimitState;
import io.rotor.api.RotorException;
import io.rotor.api.StoreSnapshot;
import io.rotor.api.User;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The JSON store's own behaviour: the seed's file layout; the AccountStore contract is {@link JsonAccountStoreContractTest}. */
class JsonAccountStoreTest {

    static final String SEED_PASSWORD = "MDEyMzQ1Njc4OWFiY2RlZg==:c2VjcmV0Y2lwaGVydGV4dA==:dGFndGFndGFndGFndGFnIQ==";

    /** Exactly what the seed's Node.js tool writes. */
    static final String SEED_FILE = """
            { "version": "1.0", "createdAt": "2026-02-19T00:00:00.000Z", "updatedAt": "2026-02-19T00:00:00.000Z",
              "accounts": [ { "id": "acc_1739900000000_abc123xyz", "email": "user1@example.com",
                  "password": "%s", "encryptionMethod": "aes-256-gcm", "status": "active",
                  "createdAt": "2026-02-19T00:00:00.000Z", "lastUsed": null,
                  "stats": {"totalRequests": 150, "successfulRequests": 148, "failedRequests": 2, "rateLimitHits": 1, "lastRequestAt": "2026-02-19T12:00:00.000Z"},
                  "rateLimit": {"requestsThisMinute": 5, "windowStart": "2026-02-19T12:00:00.000Z", "blockedUntil": null},
                  "priority": 1, "metadata": {"name": "Primary Account", "tags": ["production", "primary"]} } ],
              "settings": { "rotationStrategy": "round-robin", "rateLimitPerAccount": 10, "rateLimitWindowMs": 60000, "cooldownMs": 30000, "maxRetries": 3, "autoValidateOnAdd": true } }
            """.formatted(SEED_PASSWORD);

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void readsTheSeedFileWithEveryFieldMapped() throws IOException {
        Path file = dir.resolve("accounts.json");
        Files.writeString(file, SEED_FILE);

        StoreSnapshot snapshot = new JsonAccountStore(file).snapshot();

        assertEquals(1, snapshot.accounts().size());
        Account account = snapshot.accounts().get(0);
        assertEquals("acc_1739900000000_abc123xyz", account.id());
        assertEquals("k2think", account.upstream());
        assertEquals("default", account.pool());
        assertEquals("user1@example.com", account.email());
        assertEquals(Map.of(Account.SECRET_PASSWORD, SEED_PASSWORD), account.secrets());
        assertNull(account.encryptionKeyId());
        assertEquals(AccountStatus.ACTIVE, account.status());
        assertNull(account.statusReason());
        assertEquals(Instant.parse("2026-02-19T00:00:00Z"), account.createdAt());
        assertNull(account.lastUsed());
        assertEquals(new AccountStats(150, 148, 2, 1, Instant.parse("2026-02-19T12:00:00Z")), account.stats());
        assertEquals(new RateLimitState(5, Instant.parse("2026-02-19T12:00:00Z"), null), account.rateLimit());
        assertEquals(1, account.priority());
        assertEquals(1, account.weight());
        assertEquals(0, account.maxConcurrent());
        assertEquals("Primary Account", account.name());
        assertEquals(List.of("production", "primary"), account.tags());
        assertEquals(Map.of("rotationStrategy", "round-robin", "rateLimitPerAccount", "10",
                "rateLimitWindowMs", "60000", "cooldownMs", "30000", "maxRetries", "3",
                "autoValidateOnAdd", "true"), snapshot.settings());
        assertEquals(List.of(), snapshot.users());
        assertEquals(List.of(), snapshot.pools());
    }

    @Test
    void writesPoolsWithoutNullFields() throws IOException {
        Path file = dir.resolve("accounts.json");
        JsonAccountStore store = new JsonAccountStore(file);
        store.putPool(new Pool("p", "random", 5, null, null, null));
        store.putPool(new Pool("p", null, null, 100L, null, null));

        JsonNode pool = MAPPER.readTree(file.toFile()).get("pools").get(0);
        assertEquals(Set.of("name", "windowMs"), fieldNames(pool));
    }

    @Test
    void keepsTheCiphertextExactlyAndNothingElseOfTheSecret() throws IOException {
        Path file = dir.resolve("accounts.json");
        String ciphertext = "AAECAwQFBgcICQoL:c2VjcmV0:AAECAwQFBgcICQoLDA0ODw==";
        new JsonAccountStore(file).putAccount(account("acc_s").withSecrets(Map.of(Account.SECRET_API_KEY, ciphertext), "k1"));

        JsonNode node = MAPPER.readTree(file.toFile()).get("accounts").get(0);
        assertEquals(ciphertext, node.get("apiKey").textValue());
        assertEquals("aes-256-gcm", node.get("encryptionMethod").textValue());
        assertEquals("k1", node.get("encryptionKeyId").textValue());
        assertFalse(node.has("password"));
        assertFalse(node.has("credential"));
        String text = Files.readString(file);
        assertEquals(1, text.split(java.util.regex.Pattern.quote(ciphertext), -1).length - 1);
    }

    @Test
    void writesSeedStyleTimestampsAndLayout() throws IOException {
        Path file = dir.resolve("accounts.json");
        new JsonAccountStore(file).putAccount(account("acc_t"));

        JsonNode root = MAPPER.readTree(file.toFile());
        assertEquals("1.0", root.get("version").textValue());
        assertTrue(root.get("createdAt").textValue().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"));
        assertTrue(root.get("settings").isObject());
        JsonNode account = root.get("accounts").get(0);
        assertEquals("2026-03-01T10:00:00.000Z", account.get("createdAt").textValue());
        assertTrue(account.get("lastUsed").isNull());
        assertTrue(account.get("rateLimit").get("blockedUntil").isNull());
        assertEquals("name acc_t", account.get("metadata").get("name").textValue());
        assertTrue(Files.readString(file).contains("\"version\": \"1.0\""));
    }

    @Test
    void preservesUnknownFieldsAndSettingTypesOnRewrite() throws IOException {
        Path file = dir.resolve("accounts.json");
        ObjectNode seed = (ObjectNode) MAPPER.readTree(SEED_FILE);
        seed.put("futureTopLevel", "kept");
        ((ObjectNode) seed.get("accounts").get(0)).put("futureField", 42);
        ((ObjectNode) seed.get("accounts").get(0).get("metadata")).put("note", "kept too");
        Files.writeString(file, seed.toString());
        JsonAccountStore store = new JsonAccountStore(file);

        Account account = store.snapshot().accounts().get(0);
        store.putAccount(account.withStatus(AccountStatus.INACTIVE, "paused by admin"));
        store.putSetting("rateLimitPerAccount", "20");
        store.putSetting("autoValidateOnAdd", "false");
        store.putSetting("brandNew", "7");
        store.putSetting("maxRetries", null);

        JsonNode root = MAPPER.readTree(file.toFile());
        assertEquals("kept", root.get("futureTopLevel").textValue());
        JsonNode node = root.get("accounts").get(0);
        assertEquals(42, node.get("futureField").intValue());
        assertEquals("kept too", node.get("metadata").get("note").textValue());
        assertEquals("inactive", node.get("status").textValue());
        assertEquals("paused by admin", node.get("statusReason").textValue());
        assertEquals("2026-02-19T00:00:00.000Z", root.get("createdAt").textValue());
        assertNotEquals("2026-02-19T00:00:00.000Z", root.get("updatedAt").textValue());
        JsonNode settings = root.get("settings");
        assertTrue(settings.get("rateLimitPerAccount").isIntegralNumber());
        assertEquals(20, settings.get("rateLimitPerAccount").intValue());
        assertTrue(settings.get("autoValidateOnAdd").isBoolean());
        assertFalse(settings.get("autoValidateOnAdd").booleanValue());
        assertTrue(settings.get("brandNew").isTextual());
        assertFalse(settings.has("maxRetries"));
        assertEquals("round-robin", settings.get("rotationStrategy").textValue());
    }

    @Test
    void doesNotCreateTheFileUntilTheFirstWrite() {
        Path file = dir.resolve("nested/deeper/accounts.json");
        JsonAccountStore store = new JsonAccountStore(file);

        StoreSnapshot empty = store.snapshot();

        assertEquals(List.of(), empty.accounts());
        assertFalse(Files.exists(file.getParent()));
        store.putAccount(account("acc_1"));
        assertTrue(Files.exists(file));
    }

    @Test
    void leavesNoTempFileBehindAndKeepsTheFileOwnerOnly() throws IOException {
        Path file = dir.resolve("accounts.json");
        JsonAccountStore store = new JsonAccountStore(file);
        for (int i = 0; i < 5; i++) {
            store.putAccount(account("acc_" + i));
        }
        store.removeAccount("acc_0");

        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(Set.of("accounts.json", "accounts.json.lock"),
                    files.map(path -> path.getFileName().toString()).collect(Collectors.toSet()));
        }
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("accounts.json.lock"))));
    }

    @Test
    void replacesATempFileLeftBehindByACrash() throws IOException {
        Path file = dir.resolve("accounts.json");
        Files.writeString(dir.resolve("accounts.json.tmp"), "{\"half\": ");
        new JsonAccountStore(file).putAccount(account("acc_1"));

        assertFalse(Files.exists(dir.resolve("accounts.json.tmp")));
        assertEquals(1, new JsonAccountStore(file).snapshot().accounts().size());
    }

    @Test
    void revisionFollowsTheFileContentNotItsTimestamp() throws IOException {
        Path file = dir.resolve("accounts.json");
        JsonAccountStore server = new JsonAccountStore(file);
        new JsonAccountStore(file).putAccount(account("acc_1"));
        new JsonAccountStore(file).putAccount(account("acc_2"));
        long afterCliWrite = server.revision();

        // A rewrite of identical bytes by someone else is not a change of the data.
        Files.write(file, Files.readAllBytes(file));
        assertEquals(afterCliWrite, server.revision());

        String edited = Files.readString(file).replace("name acc_2", "renamed by hand");
        Files.writeString(file, edited);
        assertNotEquals(afterCliWrite, server.revision());
        assertEquals("renamed by hand", server.snapshot().accounts().get(1).name());
    }
    @Test
    void malformedFileGivesStoreErrorAndStaysByteIdentical() throws IOException {
        Path file = dir.resolve("accounts.json");
        byte[] broken = SEED_FILE.replace("\"status\": \"active\",", "\"status\": \"active\"").getBytes(StandardCharsets.UTF_8);
        Files.write(file, broken);
        JsonAccountStore store = new JsonAccountStore(file);

        RotorException read = assertThrows(RotorException.class, store::snapshot);
        RotorException write = assertThrows(RotorException.class, () -> store.putAccount(account("acc_x")));
        RotorException runtime = assertThrows(RotorException.class, () -> store.saveRuntime(List.of(
                new AccountRuntime("acc_1739900000000_abc123xyz", null, null, null, AccountStats.EMPTY, null))));

        for (RotorException e : List.of(read, write, runtime)) {
            assertEquals(ErrorCode.STORE_ERROR, e.code());
            assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
            assertTrue(e.getMessage().contains("line 4"), e.getMessage());
            assertFalse(e.getMessage().contains(SEED_PASSWORD.substring(0, 10)), e.getMessage());
        }
        assertArrayEquals(broken, Files.readAllBytes(file));
        assertFalse(Files.exists(dir.resolve("accounts.json.tmp")));
    }

    @Test
    void fileThatBreaksTheLayoutGivesStoreErrorNamingTheField() throws IOException {
        Path file = dir.resolve("accounts.json");
        String badStatus = SEED_FILE.replace("\"status\": \"active\"", "\"status\": \"sleeping\"");
        Files.writeString(file, badStatus);
        JsonAccountStore store = new JsonAccountStore(file);

        RotorException e = assertThrows(RotorException.class, () -> store.putUser(new User("u", "n", "h", null, null)));

        assertEquals(ErrorCode.STORE_ERROR, e.code());
        assertTrue(e.getMessage().contains("acc_1739900000000_abc123xyz"), e.getMessage());
        assertEquals(badStatus, Files.readString(file));
    }

    @Test
    void recoversOnceAMalformedFileIsRepaired() throws IOException {
        Path file = dir.resolve("accounts.json");
        Files.writeString(file, "{ not json");
        JsonAccountStore store = new JsonAccountStore(file);
        assertThrows(RotorException.class, store::snapshot);

        Files.writeString(file, SEED_FILE);

        assertEquals(1, store.snapshot().accounts().size());
    }

    @Test
    void accountsWithoutRotorFieldsGetTheirDefaults() throws IOException {
        Path file = dir.resolve("accounts.json");
        Files.writeString(file, """
                {"accounts": [{"id": "a", "upstream": "openai", "pool": "", "apiKey": "x:y:z"}]}
                """);

        Account account = new JsonAccountStore(file).snapshot().accounts().get(0);

        assertEquals("openai", account.upstream());
        assertEquals("default", account.pool());
        assertEquals(1, account.weight());
        assertEquals(AccountStatus.ACTIVE, account.status());
        assertEquals(List.of(), account.tags());
        assertEquals(Map.of(Account.SECRET_API_KEY, "x:y:z"), account.secrets());
    }

    private static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new java.util.HashSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
