package io.rotor.core.engine.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/** Generation and hashing of user keys, the master key and object ids. */
final class Keys {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";
    /** Copied for each hash: a copy skips the provider look-up that {@code getInstance} makes per request. */
    private static final MessageDigest SHA_256 = newSha256();

    private Keys() {
    }

    /** A new API key: 32 random bytes, URL-safe, with a recognisable prefix. */
    static String newApiKey(String prefix) {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /**
     * Hex SHA-256 of a key. Keys are 256-bit random values, so a fast hash is enough: there is
     * nothing to brute-force that a slow hash would protect.
     */
    static String hash(String key) {
        return hex(sha256(key));
    }

    /** The form {@link #hash} gives a digest in. */
    static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }

    /** Compares the {@link #sha256} of a presented key with a stored hash in constant time. */
    static boolean matches(byte[] presentedDigest, String storedHash) {
        if (storedHash == null) {
            return false;
        }
        byte[] expected;
        try {
            expected = HexFormat.of().parseHex(storedHash);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return MessageDigest.isEqual(presentedDigest, expected);
    }

    /** An id in the seed's style: {@code acc_<millis>_<9 random chars>}. */
    static String newId(String prefix) {
        StringBuilder id = new StringBuilder(prefix).append('_').append(System.currentTimeMillis()).append('_');
        for (int i = 0; i < 9; i++) {
            id.append(ID_ALPHABET.charAt(RANDOM.nextInt(ID_ALPHABET.length())));
        }
        return id.toString();
    }

    /** SHA-256 of a key's UTF-8 bytes. */
    static byte[] sha256(String key) {
        MessageDigest digest;
        try {
            digest = (MessageDigest) SHA_256.clone();
        } catch (CloneNotSupportedException e) {
            digest = newSha256();
        }
        return digest.digest(key.getBytes(StandardCharsets.UTF_8));
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }
}
