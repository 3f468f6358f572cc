package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rotor.api.Account;
import io.rotor.api.AccountStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SeedFileTest {

    private static final byte[] OLD_KEY = SeedFile.parseKey(SeedImportIT.OLD_KEY, "key");

    @TempDir
    Path dir;

    @Test
    void decryptsCiphertextsThatNodesCryptoProducedInTheSeedsFormat() {
        assertEquals(SeedImportIT.PASSWORD_ONE, SeedFile.decrypt(SeedImportIT.CIPHERTEXT_ONE, OLD_KEY, "a"));
        assertEquals(SeedImportIT.PASSWORD_TWO, SeedFile.decrypt(SeedImportIT.CIPHERTEXT_TWO, OLD_KEY, "b"));
        assertEquals("hunter2-seed-password", SeedFile.decrypt(SeedStoreIT.SEED_PASSWORD,
                SeedFile.parseKey(RotorHarness.ENCRYPTION_KEY, "key"), "c"));
    }

    @Test
    void aWrongKeyOrATamperedCiphertextIsReportedWithoutTheSecret() {
        byte[] otherKey = SeedFile.parseKey("ff".repeat(32), "key");
        IllegalArgumentException wrongKey = assertThrows(IllegalArgumentException.class,
                () -> SeedFile.decrypt(SeedImportIT.CIPHERTEXT_ONE, otherKey, "account x"));
        assertEquals("the old key does not decrypt the password of account x (wrong key?); nothing was imported",
                wrongKey.getMessage());
        String[] parts = SeedImportIT.CIPHERTEXT_ONE.split(":");
        String tampered = parts[0] + ":" + parts[1].replace('7', '8') + ":" + parts[2];
        assertThrows(IllegalArgumentException.class, () -> SeedFile.decrypt(tampered, OLD_KEY, "x"));
        IllegalArgumentException notSeed = assertThrows(IllegalArgumentException.class,
                () -> SeedFile.decrypt("plain-text-password", OLD_KEY, "account y"));
        assertTrue(notSeed.getMessage().contains("not in the seed's iv:ciphertext:tag form"), notSeed.getMessage());
        assertFalse(notSeed.getMessage().contains("plain-text-password"));
    }

    @Test
    void aKeyMustBe64HexCharactersAndIsNeverEchoed() {
        assertEquals(32, SeedFile.parseKey(" " + SeedImportIT.OLD_KEY.toUpperCase() + "\n", "k").length);
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> SeedFile.parseKey("secret-but-not-hex", "the old key"));
        assertEquals("the old key must be 64 hex characters (32 bytes)", refused.getMessage());
    }

    @Test
    void readsASeedAccountWithItsStateAndDefaultsWhatTheSeedDoesNotHave() throws Exception {
        Path file = dir.resolve("accounts.json");
        Files.writeString(file, """
                {"accounts": [
                  {"id": "acc_1", "email": "x@example.com", "password": "%s", "status": "rate-limited",
                   "rateLimit": {"requestsThisMinute": 9, "blockedUntil": "2026-02-19T12:00:30.000Z"},
                   "stats": {"totalRequests": 4}, "metadata": {}},
                  {"id": "acc_2", "email": "y@example.com", "password": "%s"}
                ]}
                """.formatted(SeedImportIT.CIPHERTEXT_ONE, SeedImportIT.CIPHERTEXT_TWO));
        List<SeedFile.Entry> entries = SeedFile.read(file, OLD_KEY);
        Account first = entries.get(0).account();
        assertEquals("k2think", first.upstream());
        assertEquals("default", first.pool());
        assertEquals(AccountStatus.RATE_LIMITED, first.status());
        assertEquals(9, first.rateLimit().requestsThisWindow());
        assertEquals("2026-02-19T12:00:30Z", first.rateLimit().blockedUntil().toString());
        assertEquals(4, first.stats().totalRequests());
        assertEquals(1, first.priority());
        assertNull(first.name());
        assertTrue(first.secrets().isEmpty(), "plaintext stays out of the account record");
        assertEquals(SeedImportIT.PASSWORD_ONE, entries.get(0).plainSecrets().get(Account.SECRET_PASSWORD));
        assertEquals(AccountStatus.ACTIVE, entries.get(1).account().status());
        assertFalse(entries.get(0).toString().contains(SeedImportIT.PASSWORD_ONE));
    }

    @Test
    void aMalformedAccountIsReportedByIdOrPosition() throws Exception {
        Path file = dir.resolve("accounts.json");
        Files.writeString(file, "{\"accounts\": [{\"email\": \"a@example.com\", \"password\": \"x\"}]}");
        assertEquals("account #1 has no valid \"id\"",
                assertThrows(IllegalArgumentException.class, () -> SeedFile.read(file, OLD_KEY)).getMessage());
        Files.writeString(file, "{\"accounts\": [{\"id\": \"acc_9\", \"password\": \"%s\", \"status\": \"asleep\"}]}"
                .formatted(SeedImportIT.CIPHERTEXT_ONE));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SeedFile.read(file, OLD_KEY)).getMessage()
                .startsWith("account acc_9: unknown account status"));
        Files.writeString(file, "{\"accounts\": [{\"id\": \"acc_9\"}]}");
        assertEquals("account acc_9 has no \"password\"",
                assertThrows(IllegalArgumentException.class, () -> SeedFile.read(file, OLD_KEY)).getMessage());
    }
}
