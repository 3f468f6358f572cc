package io.rotor.api;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/** Management of accounts and users, shared by the CLI and the admin API. */
@ProviderType
public interface Admin {

    /**
     * Encrypts the account's secrets, validates the credential upstream when asked, and stores it.
     *
     * @throws RotorException {@link ErrorCode#INVALID_REQUEST} for a bad field or a credential
     *         the upstream refused
     */
    Account addAccount(NewAccount account);

    /** Returns all accounts with their live statistics and limiter state. */
    List<Account> accounts();

    /** Creates a user with a fresh API key, returned once. */
    CreatedUser addUser(String name, String pool);

    /** Returns all users. */
    List<User> users();
}
