package io.rotor.core.engine.internal;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/** A slot taken on one account for one attempt; released exactly once, through the account's pool index. */
final class Lease {

    private final LiveAccount account;
    private final LongSupplier clock;
    private final AtomicBoolean released = new AtomicBoolean();

    Lease(LiveAccount account, LongSupplier clock) {
        this.account = account;
        this.clock = clock;
    }

    LiveAccount account() {
        return account;
    }

    String accountId() {
        return account.id();
    }

    void release(boolean success) {
        if (released.compareAndSet(false, true)) {
            // The account's index now: it may have moved to another pool while this request ran.
            account.index().release(account, success, clock.getAsLong());
        }
    }
}
