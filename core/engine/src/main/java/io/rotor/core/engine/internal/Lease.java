package io.rotor.core.engine.internal;

import java.util.concurrent.atomic.AtomicBoolean;

/** A slot taken on one account for one attempt; released exactly once. */
final class Lease {

    private final LiveAccount account;
    private final AtomicBoolean released = new AtomicBoolean();

    Lease(LiveAccount account) {
        this.account = account;
    }

    LiveAccount account() {
        return account;
    }

    String accountId() {
        return account.id();
    }

    void release(boolean success) {
        if (released.compareAndSet(false, true)) {
            account.release(success);
        }
    }
}
