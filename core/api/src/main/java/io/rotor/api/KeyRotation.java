package io.rotor.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Re-encrypts every stored secret under a new encryption key ({@code rotor keys rotate}), safely
 * against a crash at any point: run again with the same input, it completes what was begun.
 */
@ProviderType
public interface KeyRotation {

    /**
     * Re-encrypts the secrets of every account of {@code store} that is not yet under the new key.
     *
     * @param newHexKey the new key (64 hex characters) when the key is configured
     *        ({@code security.encryptionKey}); null when the key lives in the key file, which then gets a
     *        generated key (or the one of a rotation that was interrupted)
     * @return what was done
     * @throws RotorException {@link ErrorCode#INVALID_REQUEST} if {@code newHexKey} is malformed, missing,
     *         not wanted (key file) or the key in use; {@link ErrorCode#SECRET_UNREADABLE} if an account is
     *         under a key that is neither the old nor the new one; {@link ErrorCode#SECRET_TAMPERED} if an
     *         account's secret fails authentication; {@link ErrorCode#STORE_ERROR} if the store cannot be written.
     *         In every case each account is left under the old or the new key, never anything else
     */
    Result rotate(AccountStore store, String newHexKey);

    /**
     * @param oldKeyId the key the secrets were under (null if there were none)
     * @param newKeyId the key they are under now
     * @param reencrypted accounts re-encrypted by this call
     * @param accounts accounts with secrets in the store
     * @param resumed true if this call finished a rotation an earlier run began
     * @param keyFile the key file that holds the new key, or null when the key is configured
     */
    record Result(String oldKeyId, String newKeyId, int reencrypted, int accounts, boolean resumed, String keyFile) {
    }
}
