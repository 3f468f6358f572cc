package io.rotor.core.engine.internal;

import io.rotor.api.Account;
import io.rotor.api.AccountRuntime;
import io.rotor.api.AccountStore;
import io.rotor.api.RotorException;
import io.rotor.api.SecretCipher;
import io.rotor.api.StoreSnapshot;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps the in-memory registry and the store in step: loads snapshots (also those another process
 * wrote), flushes live statistics in the background, and applies a rate-limit reset made elsewhere.
 */
final class StoreSync {

    /** Setting written by a rate-limit reset, so a server running on the same store applies it too. */
    static final String RESET_SETTING = "rateLimitsResetAt";

    private static final System.Logger LOG = System.getLogger(StoreSync.class.getName());

    private final AccountStore store;
    private final SecretCipher cipher;
    private final AccountRegistry registry;
    private final Clock clock;
    /** Writing the statistics may take this share of the time at most: one twentieth. */
    static final int FLUSH_SHARE = 20;

    private long loadedRevision = Long.MIN_VALUE;
    private volatile long nextFlush = System.nanoTime();
    private String appliedReset;

    StoreSync(AccountStore store, SecretCipher cipher, AccountRegistry registry, Clock clock) {
        this.store = store;
        this.cipher = cipher;
        this.registry = registry;
        this.clock = clock;
    }

    AccountStore store() {
        return store;
    }

    /** Loads the store's current state into the registry. */
    synchronized void reload() {
        StoreSnapshot snapshot = store.snapshot();
        registry.load(snapshot);
        loadedRevision = snapshot.revision();
        String reset = snapshot.settings().get(RESET_SETTING);
        if (appliedReset == null) {
            appliedReset = reset == null ? "" : reset; // a reset from before this start is history
        } else if (reset != null && !reset.equals(appliedReset)) {
            appliedReset = reset;
            long now = clock.millis();
            registry.all().forEach(live -> live.resetRateLimit(now));
            registry.markAllStale();
        }
    }

    /**
     * The background task, run every second: write what changed, then pick up what others changed.
     * A store that takes long to write (a JSON file of thousands of accounts is rewritten whole) is
     * written less often, so that writing takes at most a {@link #FLUSH_SHARE}th of the time; changes
     * made by others are still looked for every second.
     */
    void flushAndReload() {
        try {
            long started = System.nanoTime();
            if (started - nextFlush >= 0) {
                flush();
                long took = System.nanoTime() - started;
                nextFlush = System.nanoTime() + took * (FLUSH_SHARE - 1);
            }
            if (store.revision() != loadedRevision) {
                reload();
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "background flush failed: {0}", e.getMessage());
        }
    }

    /** Writes the statistics and limiter state that changed since the last flush. */
    synchronized void flush() {
        List<AccountRuntime> changed = registry.drainRuntimes();
        if (changed.isEmpty()) {
            return;
        }
        upgradeSeedCiphertexts(changed);
        try {
            store.saveRuntime(changed);
        } catch (RuntimeException e) {
            // Counters are absolute, so the next flush writes them again; keep the status changes pending.
            changed.forEach(runtime -> {
                LiveAccount live = registry.account(runtime.id());
                if (live != null) {
                    live.markUnflushed(runtime.status() != null);
                }
            });
            throw e;
        }
    }

    /**
     * Rewrites the seed tool's ciphertexts (no associated data, no key id) in Rotor's form when
     * their account is written anyway, so a seed store is upgraded without a migration step.
     */
    private void upgradeSeedCiphertexts(List<AccountRuntime> changed) {
        for (AccountRuntime runtime : changed) {
            LiveAccount live = registry.account(runtime.id());
            // The live status and counters: the record in hand may hold counters from its last definition change,
            // and a status other than the one this flush just wrote.
            Account account = live == null ? null : live.snapshot();
            if (account == null || account.encryptionKeyId() != null || account.secrets().isEmpty()) {
                continue;
            }
            try {
                Map<String, String> plain = new LinkedHashMap<>();
                account.secrets().forEach((field, ciphertext) -> plain.put(field, cipher.decrypt(ciphertext, account.id())));
                SecretCipher.Sealed upgraded = cipher.seal(plain, account.id());
                Account rewritten = account.withSecrets(upgraded.secrets(), upgraded.keyId());
                store.putAccount(rewritten);
                live.refresh(rewritten);
            } catch (RotorException e) {
                LOG.log(System.Logger.Level.WARNING, "account {0}: seed ciphertext not upgraded: {1}",
                        account.id(), e.getMessage());
            }
        }
    }
}
