package io.rotor.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Encrypts account secrets at rest with AES-256-GCM, binding each ciphertext to its account.
 *
 * <p>Ciphertexts have the form {@code base64(iv):base64(ciphertext):base64(tag)}. Rotor writes
 * 12-byte IVs with the account id as associated data; 16-byte-IV ciphertexts from the seed tool
 * (no associated data) are read too.
 */
@ProviderType
public interface SecretCipher {

    /**
     * Encrypts {@code plaintext} for the account {@code accountId}, creating the key file first
     * if no key is configured yet.
     */
    String encrypt(String plaintext, String accountId);

    /**
     * Decrypts a ciphertext stored on account {@code accountId}.
     *
     * @throws RotorException {@link ErrorCode#SECRET_UNREADABLE} if the key is wrong or missing,
     *         the ciphertext was altered or belongs to another account; the message never
     *         contains the ciphertext or any plaintext
     */
    String decrypt(String ciphertext, String accountId);

    /** Returns the fingerprint of the current key (first 16 hex chars of its SHA-256), or null if none exists yet. */
    String keyId();
}
