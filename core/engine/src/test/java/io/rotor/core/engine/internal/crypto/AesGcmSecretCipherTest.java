package io.rotor.core.engine.internal.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rotor.api.ErrorCode;
import io.rotor.api.RotorException;
import io.rotor.api.SecretCipher;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AesGcmSecretCipherTest {

    private static final String KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    private static final String OTHER_KEY = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
    private static final String PLAINTEXT = "hunter2-pässwörd-✓";

    @TempDir
    Path dir;

    private AesGcmSecretCipher cipher(String key) {
        return new AesGcmSecretCipher(key, dir.resolve("data/.encryption_key"));
    }

    @Test
    void decryptsWhatItEncryptedForTheSameAccount() {
        AesGcmSecretCipher cipher = cipher(KEY);

        String ciphertext = cipher.encrypt(PLAINTEXT, "acc_1");

        assertEquals(PLAINTEXT, cipher.decrypt(ciphertext, "acc_1"));
        assertEquals(PLAINTEXT, cipher(KEY).decrypt(ciphertext, "acc_1"));
        assertEquals("", cipher.decrypt(cipher.encrypt("", "acc_1"), "acc_1"));
        assertFalse(ciphertext.contains("hunter2"));
    }

    @Test
    void writesTwelveByteIvsAndANewIvEachTime() {
        AesGcmSecretCipher cipher = cipher(KEY);

        String first = cipher.encrypt(PLAINTEXT, "acc_1");
        String second = cipher.encrypt(PLAINTEXT, "acc_1");

        String[] parts = first.split(":");
        assertEquals(3, parts.length);
        assertEquals(12, Base64.getDecoder().decode(parts[0]).length);
        assertEquals(16, Base64.getDecoder().decode(parts[2]).length);
        assertNotEquals(first, second);
        assertFalse(AesGcmSecretCipher.isSeedFormat(first));
    }

    @Test
    void decryptsTheSeedFormatWithSixteenByteIvAndNoAssociatedData() throws Exception {
        String seedCiphertext = seedEncrypt(KEY, PLAINTEXT);

        assertTrue(AesGcmSecretCipher.isSeedFormat(seedCiphertext));
        // Seed ciphertexts are bound to no account, so any id reads them.
        assertEquals(PLAINTEXT, cipher(KEY).decrypt(seedCiphertext, "acc_1739900000000_abc123xyz"));
        assertEquals(PLAINTEXT, cipher(KEY).decrypt(seedCiphertext, "another"));
    }

    @Test
    void decryptsACiphertextWrittenByNodeWithTheSeedAlgorithm() throws Exception {
        String script = """
                const crypto = require('crypto');
                const key = Buffer.from(process.env.KEY_HEX, 'hex');
                const iv = crypto.randomBytes(16);
                const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
                let encrypted = cipher.update(process.env.PLAINTEXT, 'utf8', 'base64');
                encrypted += cipher.final('base64');
                process.stdout.write(iv.toString('base64') + ':' + encrypted + ':' + cipher.getAuthTag().toString('base64'));
                """;
        ProcessBuilder builder = new ProcessBuilder("node", "-e", script);
        builder.environment().put("KEY_HEX", KEY);
        builder.environment().put("PLAINTEXT", PLAINTEXT);
        Process node;
        try {
            node = builder.start();
        } catch (IOException e) {
            assumeTrue(false, "node is not on the PATH");
            return;
        }
        assertTrue(node.waitFor(60, TimeUnit.SECONDS));
        String stderr = new String(node.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, node.exitValue(), stderr);
        String ciphertext = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();

        assertTrue(AesGcmSecretCipher.isSeedFormat(ciphertext));
        assertEquals(PLAINTEXT, cipher(KEY).decrypt(ciphertext, "acc_1"));
    }

    @Test
    void refusesACiphertextMovedToAnotherAccount() {
        AesGcmSecretCipher cipher = cipher(KEY);
        String ciphertext = cipher.encrypt(PLAINTEXT, "acc_1");

        RotorException e = assertThrows(RotorException.class, () -> cipher.decrypt(ciphertext, "acc_2"));

        assertEquals(ErrorCode.SECRET_UNREADABLE, e.code());
        assertEquals("secret of account acc_2 cannot be decrypted with the configured key", e.getMessage());
    }

    @Test
    void refusesACiphertextWithAnyOneBitFlipped() {
        AesGcmSecretCipher cipher = cipher(KEY);
        String ciphertext = cipher.encrypt(PLAINTEXT, "acc_1");
        String[] parts = ciphertext.split(":");

        for (int part = 0; part < 3; part++) {
            byte[] bytes = Base64.getDecoder().decode(parts[part]);
            for (int bit = 0; bit < bytes.length * 8; bit += 7) {
                byte[] flipped = bytes.clone();
                flipped[bit / 8] ^= (byte) (1 << (bit % 8));
                String[] tampered = parts.clone();
                tampered[part] = Base64.getEncoder().encodeToString(flipped);
                String altered = String.join(":", tampered);
                RotorException e = assertThrows(RotorException.class, () -> cipher.decrypt(altered, "acc_1"));
                assertEquals(ErrorCode.SECRET_UNREADABLE, e.code());
            }
        }
    }

    @Test
    void sealEncryptsEverySecretUnderOneKeyAndNamesIt() {
        AesGcmSecretCipher cipher = cipher(KEY);

        SecretCipher.Sealed sealed = cipher.seal(Map.of("apiKey", PLAINTEXT, "password", "pw"), "acc_1");

        assertEquals(cipher.keyId(), sealed.keyId());
        assertEquals(PLAINTEXT, cipher.decrypt(sealed.secrets().get("apiKey"), "acc_1", sealed.keyId()));
        assertEquals("pw", cipher.decrypt(sealed.secrets().get("password"), "acc_1", sealed.keyId()));
    }

    @Test
    void aCiphertextUnderAKeyWeDoNotHaveIsUnreadableAndTheMessageNamesItsKeyId() {
        AesGcmSecretCipher other = cipher(OTHER_KEY);
        String ciphertext = other.encrypt(PLAINTEXT, "acc_1");

        RotorException e = assertThrows(RotorException.class,
                () -> cipher(KEY).decrypt(ciphertext, "acc_1", other.keyId()));

        assertEquals(ErrorCode.SECRET_UNREADABLE, e.code());
        assertTrue(e.getMessage().contains("key id " + other.keyId()), e.getMessage());
        assertTrue(e.getMessage().contains("configured key (id " + cipher(KEY).keyId() + ")"), e.getMessage());
        assertNull(e.getCause());
    }

    @Test
    void withTheRightKeyACopiedOrBitFlippedCiphertextIsTamperedNotUnreadable() {
        AesGcmSecretCipher cipher = cipher(KEY);
        String ciphertext = cipher.encrypt(PLAINTEXT, "acc_1");
        String[] parts = ciphertext.split(":");
        byte[] body = Base64.getDecoder().decode(parts[1]);
        body[body.length - 1] ^= 0x10;
        String flipped = parts[0] + ":" + Base64.getEncoder().encodeToString(body) + ":" + parts[2];

        RotorException copied = assertThrows(RotorException.class,
                () -> cipher.decrypt(ciphertext, "acc_2", cipher.keyId()));
        RotorException altered = assertThrows(RotorException.class,
                () -> cipher.decrypt(flipped, "acc_1", cipher.keyId()));

        for (RotorException e : List.of(copied, altered)) {
            assertEquals(ErrorCode.SECRET_TAMPERED, e.code());
            for (String part : ciphertext.split(":")) {
                assertFalse(e.getMessage().contains(part));
            }
        }
        assertTrue(copied.getMessage().startsWith("secret of account acc_2 fails authentication under its key"));
        assertEquals(PLAINTEXT, cipher.decrypt(ciphertext, "acc_1", cipher.keyId()));
    }

    @Test
    void aKeyFileCipherFindsTheKeyOfARotationUnderWayByItsId() throws IOException {
        Path keyFile = dir.resolve(".encryption_key");
        Files.writeString(keyFile, KEY);
        AesGcmSecretCipher server = new AesGcmSecretCipher(null, keyFile);
        assertEquals(cipher(KEY).keyId(), server.keyId());
        String underNew = cipher(OTHER_KEY).encrypt(PLAINTEXT, "acc_1");

        Files.writeString(keyFile.resolveSibling(".encryption_key.new"), OTHER_KEY);

        assertEquals(PLAINTEXT, server.decrypt(underNew, "acc_1", cipher(OTHER_KEY).keyId()));
        assertEquals(cipher(OTHER_KEY).keyId(), server.keyId(), "encrypts under the new key while rotating");
        assertEquals(PLAINTEXT, cipher(OTHER_KEY).decrypt(server.encrypt(PLAINTEXT, "acc_2"), "acc_2"));
    }

    @Test
    void wrongKeyFailsWithAMessageFreeOfSecrets() throws Exception {
        String ciphertext = cipher(KEY).encrypt(PLAINTEXT, "acc_1");
        String seedCiphertext = seedEncrypt(KEY, PLAINTEXT);

        for (String stored : List.of(ciphertext, seedCiphertext)) {
            RotorException e = assertThrows(RotorException.class, () -> cipher(OTHER_KEY).decrypt(stored, "acc_1"));
            assertEquals(ErrorCode.SECRET_UNREADABLE, e.code());
            assertEquals("secret of account acc_1 cannot be decrypted with the configured key", e.getMessage());
            assertNull(e.getCause());
            for (String part : stored.split(":")) {
                assertFalse(e.getMessage().contains(part));
            }
        }
    }

    @Test
    void malformedCiphertextsAreUnreadableNotCrashes() {
        AesGcmSecretCipher cipher = cipher(KEY);
        for (String malformed : List.of("", "abc", "a:b", "!!:??:##", "AAAA:AAAA:AAAA", "a:b:c:d")) {
            RotorException e = assertThrows(RotorException.class, () -> cipher.decrypt(malformed, "acc_1"));
            assertEquals(ErrorCode.SECRET_UNREADABLE, e.code());
            assertFalse(AesGcmSecretCipher.isSeedFormat(malformed));
        }
    }

    @Test
    void generatesAnOwnerOnlyKeyFileOnFirstEncryption() throws IOException {
        Path keyFile = dir.resolve("data/nested/.encryption_key");
        AesGcmSecretCipher cipher = new AesGcmSecretCipher(null, keyFile);
        assertNull(cipher.keyId());
        assertFalse(Files.exists(keyFile));

        String ciphertext = cipher.encrypt(PLAINTEXT, "acc_1");

        String hex = Files.readString(keyFile);
        assertTrue(hex.matches("[0-9a-f]{64}"), "key file must hold exactly 64 hex characters");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)));
        try (Stream<Path> files = Files.list(keyFile.getParent())) {
            assertEquals(List.of(keyFile), files.toList());
        }
        assertEquals(fingerprint(hex), cipher.keyId());
        assertEquals(PLAINTEXT, new AesGcmSecretCipher(null, keyFile).decrypt(ciphertext, "acc_1"));
        assertEquals(PLAINTEXT, new AesGcmSecretCipher(hex, dir.resolve("unused")).decrypt(ciphertext, "acc_1"));
    }

    @Test
    void keepsAKeyFileThatAlreadyExists() throws IOException {
        Path keyFile = dir.resolve(".encryption_key");
        Files.writeString(keyFile, KEY + "\n");

        String ciphertext = new AesGcmSecretCipher(null, keyFile).encrypt(PLAINTEXT, "acc_1");

        assertEquals(KEY + "\n", Files.readString(keyFile));
        assertEquals(PLAINTEXT, cipher(KEY).decrypt(ciphertext, "acc_1"));
    }

    @Test
    void twoCiphersGeneratingAtOnceAgreeOnOneKey() throws Exception {
        Path keyFile = dir.resolve(".encryption_key");
        List<AesGcmSecretCipher> ciphers = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        List<String> ciphertexts = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < 8; i++) {
            AesGcmSecretCipher cipher = new AesGcmSecretCipher(null, keyFile);
            ciphers.add(cipher);
            threads.add(Thread.ofPlatform().start(() -> ciphertexts.add(cipher.encrypt(PLAINTEXT, "acc_1"))));
        }
        for (Thread thread : threads) {
            thread.join();
        }

        AesGcmSecretCipher reader = new AesGcmSecretCipher(null, keyFile);
        assertEquals(8, ciphertexts.size());
        for (String ciphertext : ciphertexts) {
            assertEquals(PLAINTEXT, reader.decrypt(ciphertext, "acc_1"));
        }
        for (AesGcmSecretCipher cipher : ciphers) {
            assertEquals(reader.keyId(), cipher.keyId());
        }
    }

    @Test
    void withoutAnyKeyDecryptionNamesWhatToSet() {
        Path keyFile = dir.resolve("data/.encryption_key");
        String ciphertext = cipher(KEY).encrypt(PLAINTEXT, "acc_1");

        RotorException e = assertThrows(RotorException.class,
                () -> new AesGcmSecretCipher(null, keyFile).decrypt(ciphertext, "acc_1"));

        assertEquals(ErrorCode.SECRET_UNREADABLE, e.code());
        assertEquals("no encryption key: set security.encryptionKey or ACCOUNT_ENCRYPTION_KEY, or restore " + keyFile,
                e.getMessage());
        assertFalse(Files.exists(keyFile));
    }

    @Test
    void picksUpAKeyFileCreatedByAnotherProcessLater() {
        Path keyFile = dir.resolve(".encryption_key");
        AesGcmSecretCipher server = new AesGcmSecretCipher(null, keyFile);
        assertNull(server.keyId());

        String ciphertext = new AesGcmSecretCipher(null, keyFile).encrypt(PLAINTEXT, "acc_1");

        assertEquals(PLAINTEXT, server.decrypt(ciphertext, "acc_1"));
    }

    @Test
    void rejectsAConfiguredKeyThatIsNot64HexCharacters() {
        for (String bad : List.of("abc", KEY.substring(2), KEY + "00", "zz" + KEY.substring(2), "my secret password")) {
            RotorException e = assertThrows(RotorException.class, () -> cipher(bad));
            assertEquals(ErrorCode.SECRET_UNREADABLE, e.code());
            assertEquals("security.encryptionKey must be 64 hex characters (32 bytes)", e.getMessage());
        }
    }

    @Test
    void rejectsAKeyFileThatIsNot64HexCharactersWithoutQuotingIt() throws IOException {
        Path keyFile = dir.resolve(".encryption_key");
        Files.writeString(keyFile, "not-a-key-" + KEY.substring(10));

        RotorException e = assertThrows(RotorException.class,
                () -> new AesGcmSecretCipher(null, keyFile).encrypt(PLAINTEXT, "acc_1"));

        assertEquals(ErrorCode.SECRET_UNREADABLE, e.code());
        assertTrue(e.getMessage().contains(keyFile.toString()));
        assertFalse(e.getMessage().contains(KEY.substring(10)));
    }

    @Test
    void acceptsAConfiguredKeyWithSurroundingWhitespaceAndUpperCase() {
        String ciphertext = cipher(KEY).encrypt(PLAINTEXT, "acc_1");

        assertEquals(PLAINTEXT, cipher("  " + KEY.toUpperCase() + "\n").decrypt(ciphertext, "acc_1"));
    }

    @Test
    void keyIdIsTheFirst16HexCharactersOfTheKeysSha256() throws Exception {
        assertEquals(fingerprint(KEY), cipher(KEY).keyId());
        assertEquals(16, cipher(KEY).keyId().length());
        assertNotEquals(cipher(KEY).keyId(), cipher(OTHER_KEY).keyId());
    }

    /** Encrypts as the seed tool does: 16-byte IV, no associated data. */
    private static String seedEncrypt(String hexKey, String plaintext) throws Exception {
        byte[] iv = new byte[16];
        new java.security.SecureRandom().nextBytes(iv);
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(HexFormat.of().parseHex(hexKey), "AES"),
                new GCMParameterSpec(128, iv));
        byte[] sealed = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
        Base64.Encoder base64 = Base64.getEncoder();
        return base64.encodeToString(iv) + ":"
                + base64.encodeToString(java.util.Arrays.copyOf(sealed, sealed.length - 16)) + ":"
                + base64.encodeToString(java.util.Arrays.copyOfRange(sealed, sealed.length - 16, sealed.length));
    }

    private static String fingerprint(String hexKey) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(HexFormat.of().parseHex(hexKey));
            return HexFormat.of().formatHex(digest).substring(0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
