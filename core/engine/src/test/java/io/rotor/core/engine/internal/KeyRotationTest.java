package io.rotor.core.engine.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rotor.api.Account;
import io.rotor.api.AccountStatus;
import io.rotor.api.ErrorCode;
import io.rotor.api.KeyRotation;
import io.rotor.api.RotorException;
import io.rotor.api.SecretCipher;
import io.rotor.api.StoreSnapshot;
import io.rotor.core.engine.internal.crypto.AesGcmSecretCipher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code keys rotate} on a store in memory: the key file's protocol, a configured key, and refusals. */
class KeyRotationTest {

    private static final String KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    private static final String NEW_KEY = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
    private static final String THIRD_KEY = "0f".repeat(32);

    @TempDir
    Path dir;

    private final MemoryAccountStore store = new MemoryAccountStore();

    private Path keyFile() {
        return dir.resolve("data/.encryption_key");
    }

    private AesGcmSecretCipher fileCipher() {
        return new AesGcmSecretCipher(null, keyFile());
    }

    /** Stores {@code count} accounts sealed by {@code cipher}, each with two secrets naming its id. */
    private void addAccounts(SecretCipher cipher, int count) {
        addAccountsFrom(cipher, 0, count);
    }

    /** Asserts every account is under {@code keyId} and decrypts to its own secrets with {@code cipher}. */
    private void assertAllUnder(String keyId, SecretCipher cipher) {
        StoreSnapshot snapshot = store.snapshot();
        assertFalse(snapshot.accounts().isEmpty());
        for (Account account : snapshot.accounts()) {
            assertEquals(keyId, account.encryptionKeyId(), account.id());
            assertEquals("sk-" + account.id(), cipher.decrypt(account.secrets().get(Account.SECRET_API_KEY),
                    account.id(), account.encryptionKeyId()));
            assertEquals("pw-" + account.id(), cipher.decrypt(account.secrets().get(Account.SECRET_PASSWORD),
                    account.id(), account.encryptionKeyId()));
        }
    }

    @Test
    void rotatingTheKeyFileGeneratesANewKeyAndReencryptsEverySecretUnderIt() throws IOException {
        AesGcmSecretCipher cipher = fileCipher();
        addAccounts(cipher, 120); // more than one batch
        String oldHex = Files.readString(keyFile());
        String oldId = cipher.keyId();

        KeyRotation.Result result = cipher.rotate(store, null);

        String newHex = Files.readString(keyFile());
        assertNotEquals(oldHex, newHex);
        assertEquals(new KeyRotation.Result(oldId, fileCipher().keyId(), 120, 120, false, keyFile().toString()), result);
        assertNotEquals(oldId, result.newKeyId());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile())));
        try (var files = Files.list(keyFile().getParent())) {
            assertEquals(List.of(keyFile()), files.filter(f -> !f.toString().endsWith(".lock")).toList(),
                    "no .new, .old or temp file is left");
        }
        assertAllUnder(result.newKeyId(), fileCipher());
        assertAllUnder(result.newKeyId(), new AesGcmSecretCipher(newHex, dir.resolve("unused")));
        Account any = store.snapshot().accounts().get(0);
        RotorException e = assertThrows(RotorException.class, () -> new AesGcmSecretCipher(oldHex, dir.resolve("x"))
                .decrypt(any.secrets().get(Account.SECRET_API_KEY), any.id(), any.encryptionKeyId()));
        assertEquals(ErrorCode.SECRET_UNREADABLE, e.code());
    }

    @Test
    void aCipherThatReadTheOldKeyFollowsTheRotationWithoutARestart() {
        AesGcmSecretCipher server = fileCipher();
        addAccounts(server, 3);
        String oldId = server.keyId();

        KeyRotation.Result result = fileCipher().rotate(store, null);

        assertAllUnder(result.newKeyId(), server);
        assertEquals(result.newKeyId(), server.keyId());
        assertEquals(result.newKeyId(), server.seal(Map.of("apiKey", "x"), "acc_new").keyId());
        assertNotEquals(oldId, result.newKeyId());
    }

    @Test
    void anInterruptedRotationIsFinishedFromEachStateTheKeyFilesCanBeIn() throws IOException {
        for (int state = 1; state <= 3; state++) {
            Path folder = dir.resolve("state" + state);
            Path keyFile = folder.resolve(".encryption_key");
            MemoryAccountStore states = new MemoryAccountStore();
            AesGcmSecretCipher oldCipher = new AesGcmSecretCipher(KEY, folder.resolve("unused"));
            AesGcmSecretCipher newCipher = new AesGcmSecretCipher(NEW_KEY, folder.resolve("unused"));
            Files.createDirectories(folder);
            Files.writeString(keyFile, state == 3 ? NEW_KEY : KEY);
            // State 1: .new written, half the accounts moved. State 2: also .old linked. State 3: .new promoted.
            if (state < 3) {
                Files.writeString(folder.resolve(".encryption_key.new"), NEW_KEY);
                // What a run killed while writing .new or linking .old leaves behind.
                Files.writeString(folder.resolve(".encryption_key.new.5e1f.tmp"), "0123");
                Files.writeString(folder.resolve(".encryption_key.old.tmp"), KEY);
            }
            if (state >= 2) {
                Files.writeString(folder.resolve(".encryption_key.old"), KEY);
            }
            for (int i = 0; i < 6; i++) {
                SecretCipher under = i % 2 == 0 ? oldCipher : newCipher;
                SecretCipher.Sealed sealed = under.seal(Map.of(Account.SECRET_API_KEY, "sk-acc_" + i,
                        Account.SECRET_PASSWORD, "pw-acc_" + i), "acc_" + i);
                states.putAccount(new Account("acc_" + i, "openai", null, null, null, null, 1, 1, null, 0, null, null,
                        null, sealed.secrets(), sealed.keyId(), null, null));
            }

            KeyRotation.Result result = new AesGcmSecretCipher(null, keyFile).rotate(states, null);

            assertTrue(result.resumed(), "state " + state);
            assertEquals(newCipher.keyId(), result.newKeyId(), "state " + state + " keeps the new key it began with");
            assertEquals(oldCipher.keyId(), result.oldKeyId());
            assertEquals(3, result.reencrypted());
            assertEquals(NEW_KEY, Files.readString(keyFile));
            try (var files = Files.list(folder)) {
                assertEquals(List.of(keyFile), files.filter(f -> !f.endsWith("unused") && !f.toString().endsWith(".lock")).toList());
            }
            for (Account account : states.snapshot().accounts()) {
                assertEquals(newCipher.keyId(), account.encryptionKeyId());
                assertEquals("sk-" + account.id(), newCipher.decrypt(account.secrets().get(Account.SECRET_API_KEY),
                        account.id(), account.encryptionKeyId()));
            }
        }
    }

    @Test
    void aConfiguredKeyIsRotatedToTheGivenKeyAndARepeatedRunFindsNothingLeft() {
        AesGcmSecretCipher configured = new AesGcmSecretCipher(KEY, keyFile());
        addAccounts(configured, 4);

        KeyRotation.Result first = configured.rotate(store, NEW_KEY);
        KeyRotation.Result again = configured.rotate(store, NEW_KEY);

        AesGcmSecretCipher next = new AesGcmSecretCipher(NEW_KEY, keyFile());
        assertEquals(new KeyRotation.Result(configured.keyId(), next.keyId(), 4, 4, false, null), first);
        assertEquals(new KeyRotation.Result(configured.keyId(), next.keyId(), 0, 4, true, null), again);
        assertAllUnder(next.keyId(), next);
        assertFalse(Files.exists(keyFile()), "a configured key is never written to a file");
    }

    @Test
    void aConfiguredKeyRotationThatStoppedHalfwayIsFinishedByTheSameCommand() {
        AesGcmSecretCipher configured = new AesGcmSecretCipher(KEY, keyFile());
        AesGcmSecretCipher next = new AesGcmSecretCipher(NEW_KEY, keyFile());
        addAccounts(configured, 2);
        addAccountsFrom(next, 2, 2);

        KeyRotation.Result result = configured.rotate(store, NEW_KEY);

        assertEquals(2, result.reencrypted());
        assertTrue(result.resumed());
        assertAllUnder(next.keyId(), next);
    }

    private void addAccountsFrom(SecretCipher cipher, int from, int count) {
        for (int i = from; i < from + count; i++) {
            String id = "acc_" + i;
            SecretCipher.Sealed sealed = cipher.seal(Map.of(Account.SECRET_API_KEY, "sk-" + id,
                    Account.SECRET_PASSWORD, "pw-" + id), id);
            store.putAccount(new Account(id, "openai", null, null, null, null, 1, 1, null, 0, null, null, null,
                    sealed.secrets(), sealed.keyId(), null, null));
        }
    }

    @Test
    void badInputIsRefusedAndChangesNothing() throws IOException {
        AesGcmSecretCipher configured = new AesGcmSecretCipher(KEY, keyFile());
        addAccounts(configured, 2);
        StoreSnapshot before = store.snapshot();

        for (String bad : new String[] {null, "", "abc", NEW_KEY + "00", KEY}) {
            RotorException e = assertThrows(RotorException.class, () -> configured.rotate(store, bad));
            assertEquals(ErrorCode.INVALID_REQUEST, e.code(), String.valueOf(bad));
            if (bad != null && !bad.isEmpty()) {
                assertFalse(e.getMessage().contains(bad), "the message never quotes the key");
            }
        }
        AesGcmSecretCipher file = fileCipher();
        RotorException noKeyYet = assertThrows(RotorException.class, () -> file.rotate(new MemoryAccountStore(), null));
        assertEquals(ErrorCode.INVALID_REQUEST, noKeyYet.code());
        file.encrypt("x", "acc_x");
        RotorException givenKey = assertThrows(RotorException.class, () -> file.rotate(store, NEW_KEY));
        assertEquals(ErrorCode.INVALID_REQUEST, givenKey.code());
        assertEquals(before.accounts(), store.snapshot().accounts());
    }

    @Test
    void anAccountUnderAnUnknownKeyOrWithATamperedSecretStopsTheRotationBeforeAnyWrite() {
        AesGcmSecretCipher configured = new AesGcmSecretCipher(KEY, keyFile());
        addAccounts(configured, 3);
        Account stranger = store.snapshot().accounts().get(0);
        SecretCipher.Sealed foreign = new AesGcmSecretCipher(THIRD_KEY, keyFile())
                .seal(Map.of(Account.SECRET_API_KEY, "sk-x"), stranger.id());
        store.putAccount(stranger.withSecrets(foreign.secrets(), foreign.keyId()));
        StoreSnapshot before = store.snapshot();

        RotorException unknown = assertThrows(RotorException.class, () -> configured.rotate(store, NEW_KEY));

        assertEquals(ErrorCode.SECRET_UNREADABLE, unknown.code());
        assertTrue(unknown.getMessage().contains("key id " + foreign.keyId()), unknown.getMessage());
        assertEquals(before.accounts(), store.snapshot().accounts());

        store.putAccount(stranger);
        Account victim = store.snapshot().accounts().get(1);
        store.putAccount(victim.withSecrets(Map.of(Account.SECRET_API_KEY, flipOneBit(stranger.secrets()
                .get(Account.SECRET_API_KEY))), victim.encryptionKeyId()).withStatus(AccountStatus.INVALID, "x"));
        StoreSnapshot tampered = store.snapshot();

        RotorException altered = assertThrows(RotorException.class, () -> configured.rotate(store, NEW_KEY));

        assertEquals(ErrorCode.SECRET_TAMPERED, altered.code());
        assertTrue(altered.getMessage().contains("rotor accounts remove " + victim.id()), altered.getMessage());
        assertEquals(tampered.accounts(), store.snapshot().accounts());
    }

    static String flipOneBit(String ciphertext) {
        String[] parts = ciphertext.split(":");
        byte[] body = Base64.getDecoder().decode(parts[1]);
        body[0] ^= 1;
        parts[1] = Base64.getEncoder().encodeToString(body);
        return String.join(":", parts);
    }
}
