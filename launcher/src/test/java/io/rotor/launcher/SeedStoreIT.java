package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rotor.api.Account;
import io.rotor.api.RotorException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A store written by the seed's Node.js tool is read as it is; a wrong key refuses to start. */
class SeedStoreIT {

    @TempDir
    Path dir;

    /**
     * "hunter2-seed-password" encrypted under {@link RotorHarness#ENCRYPTION_KEY} by Node's crypto exactly
     * as the seed tool does it (aes-256-gcm, 16-byte IV, no associated data, base64 iv:ct:tag).
     */
    static final String SEED_PASSWORD = "vFBnX1XpHHnyqf22NAKKIg==:gkivpAA/u9Lqa9EKkaE5AO2mec73:xlTh0utAXRsx2GWCyhiGMg==";

    private Path writeSeedFile() throws java.io.IOException {
        String password = SEED_PASSWORD;
        String seed = """
                {
                  "version": "1.0",
                  "createdAt": "2026-02-19T00:00:00.000Z",
                  "updatedAt": "2026-02-19T00:00:00.000Z",
                  "accounts": [
                    {
                      "id": "acc_1739900000000_abc123xyz",
                      "email": "user1@example.com",
                      "password": "%s",
                      "encryptionMethod": "aes-256-gcm",
                      "status": "active",
                      "createdAt": "2026-02-19T00:00:00.000Z",
                      "lastUsed": "2026-02-19T12:00:00.000Z",
                      "stats": {"totalRequests": 150, "successfulRequests": 148, "failedRequests": 2,
                                "rateLimitHits": 1, "lastRequestAt": "2026-02-19T12:00:00.000Z"},
                      "rateLimit": {"requestsThisMinute": 5, "windowStart": "2026-02-19T12:00:00.000Z", "blockedUntil": null},
                      "priority": 1,
                      "metadata": {"name": "Primary Account", "tags": ["production", "primary"]}
                    }
                  ],
                  "settings": {"rotationStrategy": "round-robin", "rateLimitPerAccount": 10, "rateLimitWindowMs": 60000,
                               "cooldownMs": 30000, "maxRetries": 3, "autoValidateOnAdd": true}
                }
                """.formatted(password);
        Path file = dir.resolve("data/accounts.json");
        Files.createDirectories(file.getParent());
        Files.writeString(file, seed);
        return file;
    }

    @Test
    void aSeedFileIsReadAsItIs() throws Exception {
        Path file = writeSeedFile();
        byte[] before = Files.readAllBytes(file);
        try (RotorHarness rotor = new RotorHarness(dir, Map.of()).start()) {
            Account account = rotor.admin().accounts().get(0);
            assertEquals("acc_1739900000000_abc123xyz", account.id());
            assertEquals("k2think", account.upstream());
            assertEquals("default", account.pool());
            assertEquals("Primary Account", account.name());
            assertEquals("use***@example.com", account.maskedEmail());
            assertEquals(java.util.List.of("production", "primary"), account.tags());
            assertEquals(150, account.stats().totalRequests());
            assertEquals(1, account.stats().rateLimitHits());
            assertEquals(5, account.rateLimit().requestsThisWindow());
        }
        assertArrayEquals(before, Files.readAllBytes(file), "reading the seed file changed nothing");
    }

    @Test
    void aStoreThatDoesNotDecryptWithTheKeyRefusesToStartAndChangesNothing() throws Exception {
        Path file = writeSeedFile();
        byte[] before = Files.readAllBytes(file);
        String otherKey = "ff".repeat(32);
        RotorHarness rotor = new RotorHarness(dir, Map.of("security.encryptionKey", otherKey));
        RotorException refused = assertThrows(RotorException.class, rotor::start);
        assertTrue(refused.getMessage().contains("acc_1739900000000_abc123xyz"), refused.getMessage());
        assertTrue(refused.getMessage().contains("decrypt"), refused.getMessage());
        assertTrue(!refused.getMessage().contains(otherKey));
        assertArrayEquals(before, Files.readAllBytes(file));
        try (var files = Files.list(file.getParent())) {
            assertEquals(1, files.count(), "no key file or temp file was created");
        }
    }
}
