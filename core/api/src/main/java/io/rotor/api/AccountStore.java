package io.rotor.api;

import java.util.Collection;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Durable storage of accounts, users, pools and settings.
 *
 * <p>Every write method returns only after the change is durable on disk (a crash right after
 * the call loses nothing), except {@link #saveRuntime}, which the engine calls from a background
 * flusher. Implementations must be safe for concurrent use from many threads and from another
 * process (the CLI) writing the same store: a write never loses a change made by the other side.
 * Secret fields are stored as the ciphertexts they are given; a store never decrypts.
 */
@ProviderType
public interface AccountStore {

    /** Service property naming the store kind: {@code json} or {@code sqlite}. */
    String TYPE = "rotor.store.type";

    /**
     * Returns everything the store holds now, reading the backing file again if another
     * process changed it.
     *
     * @throws RotorException {@link ErrorCode#STORE_ERROR} if the store cannot be read
     */
    StoreSnapshot snapshot();

    /** Returns a number that changes whenever the stored data changes; cheap to call. */
    long revision();

    /** Inserts or replaces the account with the same id. */
    void putAccount(Account account);

    /**
     * Inserts or replaces several accounts, as {@link #putAccount} does each. Stores that can should
     * write them in one durable step (the default writes them one at a time).
     */
    default void putAccounts(Collection<Account> accounts) {
        accounts.forEach(this::putAccount);
    }

    /** Removes an account; returns false if there was none with that id. */
    boolean removeAccount(String id);

    /** Inserts or replaces the user with the same id. */
    void putUser(User user);

    /**
     * Inserts or replaces several users, as {@link #putUser} does each. Stores that can should write
     * them in one durable step (the default writes them one at a time).
     */
    default void putUsers(Collection<User> users) {
        users.forEach(this::putUser);
    }

    /** Removes a user; returns false if there was none with that id. */
    boolean removeUser(String id);

    /** Inserts or replaces the pool with the same name. */
    void putPool(Pool pool);

    /** Sets one setting; a null value removes it. */
    void putSetting(String key, String value);

    /**
     * Writes the traffic-driven fields (stats, rate-limit window, last use and, where given,
     * status) of existing accounts; ids that no longer exist are skipped. Other fields are
     * left as stored, so an admin change made meanwhile is kept.
     */
    void saveRuntime(Collection<AccountRuntime> runtimes);

    /**
     * Replaces everything the store holds with the accounts (statistics and ciphertexts as given),
     * users, pools and settings of {@code content}, in one durable step: afterwards the store holds
     * exactly that content, in that order; if the call fails, the store is left as it was. The
     * snapshot's revision is ignored. Used by {@code rotor store migrate}.
     *
     * @throws RotorException {@link ErrorCode#STORE_ERROR} if the content holds two accounts, users
     *         or pools with the same id or name, or if the store cannot be written
     * @throws UnsupportedOperationException if the store cannot replace its content in one step
     *         (the default)
     */
    default void replaceAll(StoreSnapshot content) {
        throw new UnsupportedOperationException(getClass().getName() + " cannot replace its content in one step");
    }
}
