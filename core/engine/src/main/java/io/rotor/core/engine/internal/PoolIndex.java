package io.rotor.core.engine.internal;

import io.rotor.api.Candidate;
import io.rotor.api.CandidateSelector;
import io.rotor.api.IndexedRotationStrategy;
import io.rotor.api.PickRequest;
import io.rotor.api.RotationStrategy;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Steps 3–5 for one pool: which of its accounts are available now, the strategy's pick among them,
 * and taking a slot on the picked account.
 *
 * <p>Availability is kept up to date instead of being checked on every account at every pick: every
 * change goes through this index (a slot taken or released, a cooldown, an invalid credential), and
 * changes that come with time alone (a cooldown or a window ending) are queued by due time and applied
 * before the next pick. A strategy that is an {@link IndexedRotationStrategy} gets a {@link
 * CandidateSelector} that is told of each change, so a pick costs about O(log n) in the pool's size; any
 * other strategy is called with the list of available accounts, as before. Check-and-take of a slot
 * happens under the index's lock, so concurrent requests never overrun a limit.
 */
final class PoolIndex {

    private static final System.Logger LOG = System.getLogger(PoolIndex.class.getName());

    /** The pool's accounts in their stable order, by id, and the distinct upstreams in order of first use. */
    record Members(List<LiveAccount> accounts, Map<String, LiveAccount> byId, List<String> upstreams) {

        static final Members NONE = new Members(List.of(), Map.of(), List.of());

        static Members of(List<LiveAccount> accounts) {
            Map<String, LiveAccount> byId = new HashMap<>();
            Set<String> upstreams = new LinkedHashSet<>();
            for (LiveAccount live : accounts) {
                byId.put(live.id(), live);
                upstreams.add(live.account().upstream());
            }
            return new Members(List.copyOf(accounts), Map.copyOf(byId), List.copyOf(upstreams));
        }
    }

    private record Wakeup(long due, LiveAccount account) {
    }

    /** Thrown inside this class when a strategy's selector is unusable: its picks then go through the list. */
    private static final class NoSelector extends RuntimeException {
        NoSelector() {
            super(null, null, false, false);
        }
    }

    private static final NoSelector NO_SELECTOR = new NoSelector();

    private final String name;
    private final ReentrantLock lock = new ReentrantLock();
    private final PriorityQueue<Wakeup> wakeups = new PriorityQueue<>(Comparator.comparingLong(Wakeup::due));
    private volatile Members members = Members.NONE;
    /** Everything below is guarded by {@link #lock}. */
    private boolean stale = true;
    private PoolPolicy policy;
    private int listed;
    private IndexedRotationStrategy selectorOwner;
    private CandidateSelector selector;
    /** What the selector's {@link CandidateSelector#followsCounters()} answered when it was made. */
    private boolean selectorFollowsCounters;
    /** A strategy whose selector failed; not asked again until the pool changes. */
    private IndexedRotationStrategy brokenSelector;

    PoolIndex(String name) {
        this.name = name;
    }

    /** The pool's accounts now; read without locking. */
    Members members() {
        return members;
    }

    /**
     * Adopts the pool's accounts after a reload of the store. Cheap when nothing a pick depends on
     * changed, which is the common case: the background flush reloads every second.
     */
    void update(List<LiveAccount> accounts, boolean definitionsChanged) {
        lock.lock();
        try {
            if (!definitionsChanged && sameAccounts(accounts)) {
                return;
            }
            for (LiveAccount gone : members.accounts()) {
                if (gone.memberOf == this) {
                    gone.memberOf = null;
                }
            }
            members = Members.of(accounts);
            for (LiveAccount member : accounts) {
                member.memberOf = this;
            }
            stale = true;
        } finally {
            lock.unlock();
        }
    }

    /** Makes the next pick look at every account again (after a change made outside this index). */
    void markStale() {
        lock.lock();
        try {
            stale = true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Returns a lease on an available account that {@code excluded} does not hold, or null if none is
     * available now.
     */
    /**
     * Takes a slot on the account the strategy picks among the available ones not in {@code excluded}.
     *
     * @return the lease, or null if no account is available
     * @throws PickDeclined if the strategy picked none of the available accounts (it returned null)
     */
    Lease acquire(RotationStrategy strategy, PoolPolicy policy, PickRequest request, Set<String> excluded, long now,
            LongSupplier clock) {
        if (strategy instanceof IndexedRotationStrategy indexed) {
            try {
                LiveAccount chosen = pickIndexed(indexed, policy, request, excluded, now, true, false);
                return chosen == null ? null : new Lease(chosen, clock);
            } catch (NoSelector unusable) {
                // falls through to the list
            }
        }
        return acquireFromList(strategy, policy, request, excluded, now, clock);
    }

    /** The account the strategy moves the pool on to (the Gemini seed's rotate), without taking a slot; or null. */
    String rotate(RotationStrategy strategy, PoolPolicy policy, PickRequest request, long now) {
        if (strategy instanceof IndexedRotationStrategy indexed) {
            try {
                LiveAccount chosen = pickIndexed(indexed, policy, request, Set.of(), now, false, true);
                return chosen == null ? null : chosen.id();
            } catch (NoSelector unusable) {
                // falls through to the list
            }
        }
        List<LiveAccount> open = available(policy, Set.of(), now);
        if (open.isEmpty()) {
            return null;
        }
        String next = strategy.rotate(candidates(open), request);
        return next != null ? next : open.get(0).id();
    }

    /** Ends a request on one of this pool's accounts. */
    void release(LiveAccount live, boolean success, long now) {
        lock.lock();
        try {
            live.release(success);
            reevaluate(live, now);
        } finally {
            lock.unlock();
        }
    }

    /** Starts or extends a cooldown on one of this pool's accounts. */
    void coolDown(LiveAccount live, long until, String reason, long now) {
        lock.lock();
        try {
            live.coolDown(until, reason);
            reevaluate(live, now);
        } finally {
            lock.unlock();
        }
    }

    /** Marks one of this pool's accounts' credential unusable. */
    void invalidate(LiveAccount live, String reason, long now) {
        lock.lock();
        try {
            live.invalidate(reason);
            reevaluate(live, now);
        } finally {
            lock.unlock();
        }
    }

    /** Returns the milliseconds until the first account not in {@code ineligible} frees up, or {@link LiveAccount#NEVER}. */
    long millisUntilFirstFree(Set<String> ineligible, PoolPolicy policy, long now) {
        long soonest = LiveAccount.NEVER;
        for (LiveAccount live : members.accounts()) {
            if (!ineligible.contains(live.id())) {
                soonest = Math.min(soonest, live.millisUntilAvailable(now, policy));
            }
        }
        return soonest;
    }

    // ---------------------------------------------------------------- the indexed pick

    private LiveAccount pickIndexed(IndexedRotationStrategy strategy, PoolPolicy policy, PickRequest request,
            Set<String> excluded, long now, boolean take, boolean rotate) {
        lock.lock();
        try {
            catchUp(policy, now);
            CandidateSelector current = selectorFor(strategy);
            if (current == null) {
                throw NO_SELECTOR;
            }
            Set<String> skip = excluded;
            while (listed - countListed(skip) > 0) {
                LiveAccount chosen = offered(select(current, request, skip, rotate), skip);
                if (!take) {
                    return chosen;
                }
                if (chosen.tryAcquire(now, policy)) {
                    reevaluate(chosen, now);
                    return chosen;
                }
                // Only a change this index missed gets here; note it and pick again among the rest.
                reevaluate(chosen, now);
                skip = new HashSet<>(skip);
                skip.add(chosen.id());
            }
            return null;
        } finally {
            lock.unlock();
        }
    }

    private String select(CandidateSelector current, PickRequest request, Set<String> skip, boolean rotate) {
        try {
            return rotate ? current.rotate(request, skip) : current.pick(request, skip);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "strategy of pool ''{0}'' failed ({1}); using the first account",
                    name, e.toString());
            return null;
        }
    }

    /** The account a selector picked if it may be picked, else the first one that may (as the list path does). */
    private LiveAccount offered(String id, Set<String> skip) {
        LiveAccount chosen = id == null ? null : members.byId().get(id);
        if (chosen != null && chosen.listed && !skip.contains(id)) {
            return chosen;
        }
        if (id != null) {
            LOG.log(System.Logger.Level.WARNING, "strategy of pool ''{0}'' returned an account it was not offered",
                    name);
        }
        return firstListed(skip);
    }

    /**
     * The selector of the strategy the pool uses now, fed with the available accounts when new; null if
     * the strategy failed to give one (its picks then go through the list).
     */
    private CandidateSelector selectorFor(IndexedRotationStrategy strategy) {
        if (selectorOwner == strategy && selector != null) {
            return selector;
        }
        selector = null;
        selectorOwner = strategy;
        if (brokenSelector == strategy) {
            return null;
        }
        try {
            CandidateSelector fresh = strategy.selector(name);
            selectorFollowsCounters = fresh.followsCounters();
            for (LiveAccount live : members.accounts()) {
                if (live.listed) {
                    fresh.put(live.candidate());
                }
            }
            selector = fresh;
        } catch (RuntimeException e) {
            selectorFailed(e);
        }
        return selector;
    }

    private void selectorFailed(RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "strategy of pool ''{0}'' failed to index its accounts ({1}); its picks"
                + " use the list of accounts", name, e.toString());
        brokenSelector = selectorOwner;
        selector = null;
    }

    private int countListed(Set<String> ids) {
        int count = 0;
        for (String id : ids) {
            LiveAccount live = members.byId().get(id);
            if (live != null && live.listed) {
                count++;
            }
        }
        return count;
    }

    private LiveAccount firstListed(Set<String> skip) {
        for (LiveAccount live : members.accounts()) {
            if (live.listed && !skip.contains(live.id())) {
                return live;
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- the list pick, for any other strategy

    private Lease acquireFromList(RotationStrategy strategy, PoolPolicy policy, PickRequest request,
            Set<String> excluded, long now, LongSupplier clock) {
        List<LiveAccount> open = available(policy, excluded, now);
        while (!open.isEmpty()) {
            LiveAccount chosen = choose(open, strategy, request);
            boolean taken;
            lock.lock();
            try {
                taken = chosen.tryAcquire(now, policy);
                reevaluate(chosen, now);
            } finally {
                lock.unlock();
            }
            if (taken) {
                return new Lease(chosen, clock);
            }
            open.remove(chosen);
        }
        return null;
    }

    private List<LiveAccount> available(PoolPolicy policy, Set<String> excluded, long now) {
        lock.lock();
        try {
            catchUp(policy, now);
            List<LiveAccount> open = new ArrayList<>(listed);
            for (LiveAccount live : members.accounts()) {
                if (live.listed && !excluded.contains(live.id())) {
                    open.add(live);
                }
            }
            return open;
        } finally {
            lock.unlock();
        }
    }

    /** The strategy's choice; the first account if it fails or names one it was not offered. */
    private LiveAccount choose(List<LiveAccount> open, RotationStrategy strategy, PickRequest request) {
        String picked;
        boolean failed = false;
        try {
            picked = strategy.pick(candidates(open), request);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "strategy ''{0}'' failed ({1}); using the first account",
                    request.pool(), e.toString());
            picked = null;
            failed = true;
        }
        if (picked == null && !failed) {
            throw new PickDeclined();
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

    private static List<Candidate> candidates(List<LiveAccount> open) {
        List<Candidate> candidates = new ArrayList<>(open.size());
        for (LiveAccount live : open) {
            candidates.add(live.candidate());
        }
        return List.copyOf(candidates);
    }

    // ---------------------------------------------------------------- keeping availability up to date

    /** Brings the index up to now: everything again after a reload or a policy change, else what came due. */
    private void catchUp(PoolPolicy current, long now) {
        if (stale || !current.equals(policy)) {
            policy = current;
            stale = false;
            selector = null;
            selectorOwner = null;
            brokenSelector = null;
            wakeups.clear();
            listed = 0;
            for (LiveAccount live : members.accounts()) {
                live.listed = false;
                live.wakeAt = LiveAccount.NEVER;
            }
            for (LiveAccount live : members.accounts()) {
                reevaluate(live, now);
            }
            return;
        }
        Wakeup next;
        while ((next = wakeups.peek()) != null && next.due() <= now) {
            wakeups.poll();
            LiveAccount live = next.account();
            // A later change may have moved the account's wake-up; only its latest one counts.
            if (live.wakeAt == next.due()) {
                live.wakeAt = LiveAccount.NEVER;
                reevaluate(live, now);
            }
        }
    }

    /** Looks at one account again after a change: lists or unlists it, tells the selector, queues its next wake-up. */
    private void reevaluate(LiveAccount live, long now) {
        if (stale || policy == null || live.memberOf != this) {
            return; // the next pick looks at every account anyway, or the account left the pool
        }
        if (live.isAvailable(now, policy)) {
            boolean comes = !live.listed;
            if (comes) {
                live.listed = true;
                listed++;
            }
            if (comes || selectorFollowsCounters) {
                tellSelector(live, true);
            }
        } else if (live.listed) {
            live.listed = false;
            listed--;
            tellSelector(live, false);
        }
        long due = live.nextChangeAt(policy);
        if (due != live.wakeAt) {
            live.wakeAt = due;
            if (due != LiveAccount.NEVER) {
                wakeups.add(new Wakeup(due, live));
            }
        }
    }

    private void tellSelector(LiveAccount live, boolean available) {
        if (selector == null) {
            return;
        }
        try {
            if (available) {
                selector.put(live.candidate());
            } else {
                selector.remove(live.id());
            }
        } catch (RuntimeException e) {
            selectorFailed(e);
        }
    }

    private boolean sameAccounts(List<LiveAccount> accounts) {
        List<LiveAccount> known = members.accounts();
        if (known.size() != accounts.size()) {
            return false;
        }
        for (int i = 0; i < known.size(); i++) {
            if (known.get(i) != accounts.get(i)) {
                return false;
            }
        }
        return true;
    }
}
