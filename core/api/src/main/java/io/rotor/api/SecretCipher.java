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

    /** The status reason of an account whose secret fails authentication ({@link ErrorCode#SECRET_TAMPERED}). */
    String TAMPERED_REASON = "secret fails authentication (altered, or copied from another account): add the"
            + " credential again";

    /**
     * Encrypts {@code plaintext} for the account {@code accountId}, creating the key file first
     * if no key is configured yet.
     */
    String encrypt(String plaintext, String accountId);

    /**
     * Encrypts every secret of account {@code accountId} under one key, the one {@link #encrypt} uses now,
     * and returns the ciphertexts with that key's id (to store as {@link Account#encryptionKeyId()}); use this
     * rather than {@link #encrypt} and {@link #keyId} apart, which a key rotation in between could split.
     */
    Sealed seal(java.util.Map<String, String> plainSecrets, String accountId);

    /** Ciphertexts by secret field, and the id of the key that encrypted them. */
    record Sealed(java.util.Map<String, String> secrets, String keyId) {
        public Sealed {
            secrets = java.util.Map.copyOf(secrets);
        }
    }

    /**
     * Decrypts a ciphertext stored on account {@code accountId}.
     *
     * @throws RotorException {@link ErrorCode#SECRET_UNREADABLE} if the key is wrong or missing,
     *         the ciphertext was altered or belongs to another account; the message never
     *         contains the ciphertext or any plaintext
     */
    String decrypt(String ciphertext, String accountId);

    /**
     * Decrypts a ciphertext stored on account {@code accountId} with the key whose fingerprint is
     * {@code keyId} (the account's {@link Account#encryptionKeyId()}), looking for a key written by
     * another process (a key rotation) when this one does not know it yet.
     *
     * @param keyId the recorded key id, or null for the seed tool's ciphertexts (then as {@link #decrypt(String, String)})
     * @throws RotorException {@link ErrorCode#SECRET_UNREADABLE} if no key with that id is available (the
     *         message names the id); {@link ErrorCode#SECRET_TAMPERED} if the key is there but the ciphertext
     *         fails authentication (altered, or copied from another account). Messages never contain the
     *         ciphertext or any plaintext
     */
    String decrypt(String ciphertext, String accountId, String keyId);

    /**
     * Returns the fingerprint (first 16 hex chars of its SHA-256) of the key {@link #encrypt} uses now: the
     * new key while a rotation of the key file is under way, else the current key; null if none exists yet.
     */
    String keyId();
}
