package io.rotor.api;

import java.util.List;
import java.util.Map;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Management of accounts, users and pools, shared by the CLI and the admin API. Every method
 * validates its input completely before it changes anything: a refused call changes nothing.
 * Failures are {@link RotorException}s: {@link ErrorCode#INVALID_REQUEST} for bad input (with the
 * offending {@code param}), {@link ErrorCode#NOT_FOUND} for an unknown id.
 */
@ProviderType
public interface Admin {

    /**
     * Encrypts the account's secrets, validates the credential upstream when asked (and an adapter for
     * its upstream type is installed), and stores it.
     */
    Account addAccount(NewAccount account);

    /**
     * Adds several accounts as {@link #addAccount} does, in one durable store write: every account is
     * checked before any is stored, so a refused one adds none. Returns them in the order given.
     */
    default List<Account> addAccounts(List<NewAccount> accounts) {
        return accounts.stream().map(this::addAccount).toList();
    }

    /**
     * Stores an account imported from another installation (for example a seed-format file), keeping
     * its id, status, statistics and metadata, with its secrets given in plain text and encrypted here.
     *
     * @throws RotorException {@link ErrorCode#INVALID_REQUEST} if an account with that id exists
     */
    Account importAccount(Account account, Map<String, String> plainSecrets);

    /** Returns all accounts with their live statistics and limiter state, in the pools' stable order. */
    List<Account> accounts();

    /** Returns one account with its live state. */
    Account account(String id);

    /** Changes an account's editable fields and returns it. */
    Account updateAccount(String id, AccountUpdate update);

    /** Removes an account. */
    void removeAccount(String id);

    /**
     * Checks an account's credential against its upstream; marks it {@code invalid} if refused.
     *
     * @return null if the upstream accepted it, else the reason
     * @throws RotorException {@link ErrorCode#UPSTREAM_ERROR} if the upstream could not be reached or no
     *         adapter for its type is installed (the account is then left as it is)
     */
    String validateAccount(String id);

    /** Clears the rate-limit windows and cooldowns of all accounts; returns how many accounts there are. */
    int resetRateLimits();

    /** Creates a user with a fresh API key, returned once. */
    CreatedUser addUser(String name, String pool);

    /**
     * Creates several users as {@link #addUser} does, in one durable store write: every one is
     * checked before any is stored. Returns them with their keys, in the order given.
     */
    default List<CreatedUser> addUsers(List<NewUser> users) {
        return users.stream().map(user -> addUser(user.name(), user.pool())).toList();
    }

    /** Returns all users. */
    List<User> users();

    /** Removes a user; its key stops working at once. */
    void removeUser(String id);

    /** Returns every pool that has accounts, users or settings, and {@code default}. */
    List<PoolInfo> pools();

    /** Changes a pool's settings (creating its entry if needed) and returns it. */
    PoolInfo updatePool(String name, PoolUpdate update);

    /**
     * The Gemini seed's {@code /v1/config/update}: finds the user whose key is {@code userKey}, or
     * creates it with a pool of its own, and adds the account to that user's pool. Refuses a credential
     * the pool already holds and more than {@code accounts.maxPerUser} accounts per user.
     */
    ConfigUpdate configUpdate(String userKey, NewAccount account);

    /**
     * The Gemini seed's {@code /v1/config/rotate}: moves the pool of the user with key {@code userKey}
     * on to its next account.
     *
     * @return the id of the account the pool now uses
     */
    String rotate(String userKey);

    /** Returns the live settings that are not secret (for export). */
    Map<String, String> settings();
}
