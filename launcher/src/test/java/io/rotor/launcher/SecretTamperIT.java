package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rotor.api.Account;
import io.rotor.api.AccountStore;
import io.rotor.api.ErrorCode;
import io.rotor.api.RotorException;
import io.rotor.api.SecretCipher;
import io.rotor.core.engine.internal.crypto.AesGcmSecretCipher;
import io.rotor.storage.json.internal.JsonAccountStore;
import io.rotor.storage.sqlite.internal.SqliteAccountStore;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Secrets altered on disk: a ciphertext copied onto another account, or with one bit flipped, disables only
 * its account; a store under another key refuses to start and is left as it was.
 */
class SecretTamperIT {

    @TempDir
    Path dir;

    private AccountStore openStore(String store) {
        return store.equals("json") ? new JsonAccountStore(dir.resolve("data/accounts.json"))
                : new SqliteAccountStore(dir.resolve("data/rotor.db"));
    }

    private static String flipOneBit(String ciphertext) {
        String[] parts = ciphertext.split(":");
        byte[] body = Base64.getDecoder().decode(parts[1]);
        body[body.length / 2] ^= 0x04;
        parts[1] = Base64.getEncoder().encodeToString(body);
        return String.join(":", parts);
    }

    @ParameterizedTest
    @ValueSource(strings = {"json", "sqlite"})
    void aCopiedAndABitFlippedCiphertextDisableOnlyTheirAccountsWhichAreNeverSentUpstream(String store)
            throws Exception {
        try (FakeOpenAi upstream = new FakeOpenAi()) {
            Map<String, String> settings = new HashMap<>(Map.of("store", store, "store.sqlite.path", "data/rotor.db",
                    "upstream.fake.type", "openai", "upstream.fake.baseUrl", upstream.baseUrl(),
                    "upstream.fake.models", "*", "rateLimit.perAccount", "0"));
            RotorHarness harness = new RotorHarness(dir, settings);
            Map<String, String> ids = new HashMap<>();
            String user;
            try (harness) {
                harness.start();
                for (String key : new String[] {"sk-a", "sk-b", "sk-c"}) {
                    upstream.key(key, FakeOpenAi.KeyRule.unlimited());
                    ids.put(key, harness.addApiKeyAccount("fake", key, key).id());
                }
                user = harness.addUser("u");
            }
            AccountStore direct = openStore(store);
            Map<String, Account> byId = new HashMap<>();
            direct.snapshot().accounts().forEach(account -> byId.put(account.id(), account));
            Account a = byId.get(ids.get("sk-a"));
            Account b = byId.get(ids.get("sk-b"));
            Account c = byId.get(ids.get("sk-c"));
            direct.putAccount(a.withSecrets(b.secrets(), a.encryptionKeyId()));
            direct.putAccount(c.withSecrets(Map.of(Account.SECRET_API_KEY,
                    flipOneBit(c.secrets().get(Account.SECRET_API_KEY))), c.encryptionKeyId()));
            if (direct instanceof AutoCloseable closeable) {
                closeable.close();
            }

            harness.start();
            try {
                Cli.Result listed = Cli.run(harness.configFile, "", "accounts", "list", "--json");
                assertEquals(0, listed.exitCode(), listed.toString());
                Map<String, JsonNode> shown = new HashMap<>();
                RotorHarness.json(listed.out()).get("data").forEach(node -> shown.put(node.get("id").asText(), node));
                for (String key : new String[] {"sk-a", "sk-c"}) {
                    JsonNode account = shown.get(ids.get(key));
                    assertEquals("invalid", account.get("status").asText(), key);
                    assertEquals(SecretCipher.TAMPERED_REASON, account.get("statusReason").asText(), key);
                }
                assertEquals("active", shown.get(ids.get("sk-b")).get("status").asText());
                Cli.Result table = Cli.run(harness.configFile, "", "accounts", "list");
                assertTrue(table.out().contains(ids.get("sk-c") + " is invalid: " + SecretCipher.TAMPERED_REASON),
                        table.out());
                for (String part : b.secrets().get(Account.SECRET_API_KEY).split(":")) {
                    assertFalse(listed.printed().contains(part), "no ciphertext is shown");
                }
                JsonNode admin = RotorHarness.json(harness.get("/admin/accounts/" + ids.get("sk-c"),
                        RotorHarness.MASTER_KEY).body());
                assertEquals(SecretCipher.TAMPERED_REASON, admin.get("statusReason").asText());

                for (int i = 0; i < 6; i++) {
                    HttpResponse<String> response = harness.chat(user, "m", false);
                    assertEquals(200, response.statusCode(), response.body());
                    assertEquals(ids.get("sk-b"), response.headers().firstValue("X-Rotor-Account").orElseThrow());
                }
                assertEquals(0, upstream.received("sk-a") + upstream.received("sk-c"),
                        "a tampered account is never sent upstream");
            } finally {
                harness.stop();
            }
        }
    }

    @Test
    void aStoreUnderAnotherKeyRefusesToStartNamingTheKeyIdAndChangesNothing() throws Exception {
        RotorHarness harness = new RotorHarness(dir, Map.of());
        String accountId;
        try (harness) {
            harness.start();
            accountId = harness.addApiKeyAccount("openai", "sk-1", "one").id();
        }
        byte[] before = Files.readAllBytes(harness.storeFile());
        String keyId = new AesGcmSecretCipher(RotorHarness.ENCRYPTION_KEY, dir.resolve("unused")).keyId();
        RotorHarness wrongKey = new RotorHarness(dir, Map.of("security.encryptionKey", "0f".repeat(32)));

        RotorException refused = assertThrows(RotorException.class, wrongKey::start);
        Cli.Result cli = Cli.run(wrongKey.configFile, "", "accounts", "list");

        assertEquals(ErrorCode.SECRET_UNREADABLE, refused.code());
        assertTrue(refused.getMessage().contains("account " + accountId + " is encrypted under key id " + keyId),
                refused.getMessage());
        assertEquals(1, cli.exitCode());
        assertEquals("rotor: " + refused.getMessage(), cli.err().strip());
        assertFalse(cli.printed().contains(RotorHarness.ENCRYPTION_KEY) || cli.printed().contains("0f0f0f0f"));
        assertArrayEquals(before, Files.readAllBytes(harness.storeFile()));
    }
}
