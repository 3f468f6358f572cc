package io.rotor.core.engine.internal.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.rotor.api.ErrorCode;
import io.rotor.api.RotorException;
import java.nio.file.Files;
import java.util.Base64;
import java.util.Set;

/**
 * The decryptor. Any stored text decrypts or fails with {@code secret_unreadable} or {@code secret_tampered},
 * never quoting the ciphertext; a secret it sealed opens again, and opens for no other account; one flipped
 * bit anywhere in it makes it fail authentication.
 */
class SecretCipherFuzzTest {

    private static final String KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    private static final AesGcmSecretCipher CIPHER;

    static {
        try {
            CIPHER = new AesGcmSecretCipher(KEY, Files.createTempDirectory("rotor-fuzz-cipher").resolve(".encryption_key"));
        } catch (java.io.IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @FuzzTest(maxDuration = "30s")
    void decryptsOrRefusesAndSealedSecretsOpenOnlyIntact(FuzzedDataProvider data) {
        String accountId = data.consumeString(40);
        String otherAccount = data.consumeString(40);
        boolean withKeyId = data.consumeBoolean();
        int flip = data.consumeInt();
        String text = data.consumeRemainingAsString();
        if (accountId.isEmpty()) {
            accountId = "acc";
        }

        // Arbitrary stored text.
        String keyId = withKeyId ? CIPHER.keyId() : null;
        try {
            CIPHER.decrypt(text, accountId, keyId);
        } catch (RotorException e) {
            assertTrue(Set.of(ErrorCode.SECRET_UNREADABLE, ErrorCode.SECRET_TAMPERED).contains(e.code()), e.code()::name);
            // The message names the account (not secret), never the ciphertext: a text of the ciphertext's shape
            // (two colons) cannot occur in the message's own words, so finding it there means it was quoted.
            String message = String.valueOf(e.getMessage()).replace(accountId, "");
            if (text.length() >= 16 && text.chars().filter(c -> c == ':').count() >= 2) {
                assertFalse(message.contains(text), "the message quotes the ciphertext");
            }
        }
        AesGcmSecretCipher.isSeedFormat(text);

        // A secret sealed here.
        String sealed = CIPHER.encrypt(text, accountId);
        // Short texts of base64 letters can occur in any ciphertext by chance; 16 characters cannot.
        assertFalse(text.length() >= 16 && sealed.contains(text), "plaintext shows in the ciphertext");
        assertEquals(text, CIPHER.decrypt(sealed, accountId, CIPHER.keyId()));
        assertEquals(text, CIPHER.decrypt(sealed, accountId));
        if (!otherAccount.equals(accountId)) {
            RotorException moved = assertThrows(RotorException.class,
                    () -> CIPHER.decrypt(sealed, otherAccount, CIPHER.keyId()));
            assertEquals(ErrorCode.SECRET_TAMPERED, moved.code());
            assertFalse(moved.getMessage().contains(sealed));
        }
        String flipped = flipOneBit(sealed, flip);
        assertNotEquals(sealed, flipped);
        String account = accountId;
        RotorException tampered = assertThrows(RotorException.class,
                () -> CIPHER.decrypt(flipped, account, CIPHER.keyId()));
        assertEquals(ErrorCode.SECRET_TAMPERED, tampered.code());
    }

    /** Flips one bit of the decoded IV, ciphertext or tag, and encodes the three parts again. */
    private static String flipOneBit(String sealed, int choice) {
        String[] parts = sealed.split(":", -1);
        byte[][] bytes = new byte[3][];
        int total = 0;
        for (int i = 0; i < 3; i++) {
            bytes[i] = Base64.getDecoder().decode(parts[i]);
            total += bytes[i].length;
        }
        int bit = Math.floorMod(choice, total * 8);
        int at = bit / 8;
        for (byte[] part : bytes) {
            if (at < part.length) {
                part[at] ^= (byte) (1 << (bit % 8));
                break;
            }
            at -= part.length;
        }
        Base64.Encoder encoder = Base64.getEncoder();
        return encoder.encodeToString(bytes[0]) + ":" + encoder.encodeToString(bytes[1]) + ":"
                + encoder.encodeToString(bytes[2]);
    }
}
