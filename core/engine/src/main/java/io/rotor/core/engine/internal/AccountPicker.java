package io.rotor.core.engine.internal;

import io.rotor.api.Candidate;
import io.rotor.api.PickRequest;
import io.rotor.api.RotationStrategy;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Steps 3–5: filters the accounts that are available now, lets the strategy pick, and takes a
 * slot on the picked account. A pick that loses a race for the last slot picks again among the
 * rest, so concurrent requests never overrun a limit.
 */
final class AccountPicker {

    private static final System.Logger LOG = System.getLogger(AccountPicker.class.getName());

    private AccountPicker() {
    }

    /**
     * Returns a lease on an available account not yet tried by this request, or null if none is
     * available now.
     */
    static Lease acquire(List<LiveAccount> eligible, Set<String> tried, PoolPolicy policy, RotationStrategy strategy,
            PickRequest request, long now) {
        List<LiveAccount> open = new ArrayList<>(eligible.size());
        for (LiveAccount live : eligible) {
            if (!tried.contains(live.id()) && live.isAvailable(now, policy)) {
                open.add(live);
            }
        }
        while (!open.isEmpty()) {
            LiveAccount chosen = choose(open, strategy, request);
            if (chosen.tryAcquire(now, policy)) {
                return new Lease(chosen);
            }
            open.remove(chosen);
        }
        return null;
    }

    /** Returns the milliseconds until the first of these accounts frees up, or {@link LiveAccount#NEVER}. */
    static long millisUntilFirstFree(List<LiveAccount> eligible, PoolPolicy policy, long now) {
        long soonest = LiveAccount.NEVER;
        for (LiveAccount live : eligible) {
            soonest = Math.min(soonest, live.millisUntilAvailable(now, policy));
        }
        return soonest;
    }

    private static LiveAccount choose(List<LiveAccount> open, RotationStrategy strategy, PickRequest request) {
        List<Candidate> candidates = new ArrayList<>(open.size());
        for (LiveAccount live : open) {
            candidates.add(live.candidate());
        }
        String picked;
        try {
            picked = strategy.pick(List.copyOf(candidates), request);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "strategy ''{0}'' failed ({1}); using the first account",
                    request.pool(), e.toString());
            picked = null;
        }
        if (picked != null) {
            for (LiveAccount live : open) {
                if (live.id().equals(picked)) {
                    return live;
                }
            }
            LOG.log(System.Logger.Level.WARNING, "strategy of pool ''{0}'' returned an account it was not offered",
                    request.pool());
        }
        return open.get(0);
    }
}
