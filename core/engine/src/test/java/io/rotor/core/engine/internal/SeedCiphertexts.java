package io.rotor.core.engine.internal;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/** Produces ciphertexts the way the seed's Node.js tool does: 16-byte IV, no associated data. */
final class SeedCiphertexts {

    private SeedCiphertexts() {
    }

    static String encrypt(String plaintext, String hexKey) throws Exception {
        byte[] iv = new byte[16];
        new SecureRandom().nextBytes(iv);
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(HexFormat.of().parseHex(hexKey), "AES"),
                new GCMParameterSpec(128, iv));
        byte[] sealed = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
        Base64.Encoder b64 = Base64.getEncoder();
        return b64.encodeToString(iv) + ":" + b64.encodeToString(Arrays.copyOf(sealed, sealed.length - 16)) + ":"
                + b64.encodeToString(Arrays.copyOfRange(sealed, sealed.length - 16, sealed.length));
    }
}
