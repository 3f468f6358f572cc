package io.rotor.core.engine.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rotor.api.Account;
import io.rotor.api.AccountStatus;
import io.rotor.api.Candidate;
import io.rotor.api.CandidateSelector;
import io.rotor.api.IndexedRotationStrategy;
import io.rotor.api.PickRequest;
import io.rotor.api.RotationStrategy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Availability kept by the pool index: what a selector is told, and what a pick may take, over time. */
class PoolIndexTest {

    private static final PoolPolicy LIMITED = new PoolPolicy("p", "first", 2, 60_000, 30_000, 0);
    private static final PoolPolicy UNLIMITED = new PoolPolicy("p", "first", 0, 60_000, 30_000, 0);
    private static final PickRequest PICK = new PickRequest("m", null, "p", 0);

    private final AtomicLong clock = new AtomicLong(1_000_000);

    /** Picks the lowest-ordered available account, and records what the engine told it. */
    static final class FirstAvailable implements IndexedRotationStrategy {
        final Map<String, Candidate> seen = new HashMap<>();
        final AtomicInteger selectors = new AtomicInteger();
        final AtomicInteger puts = new AtomicInteger();
        boolean followsCounters = true;
        Map<String, Candidate> atLastPick = Map.of();

        @Override
        public String pick(List<Candidate> candidates, PickRequest request) {
            return candidates.get(0).id();
        }

        @Override
        public CandidateSelector selector(String pool) {
            selectors.incrementAndGet();
            seen.clear();
            TreeMap<Long, String> byOrder = new TreeMap<>();
            return new CandidateSelector() {
                @Override
                public void put(Candidate candidate) {
                    puts.incrementAndGet();
                    seen.put(candidate.id(), candidate);
                    byOrder.put(candidate.order(), candidate.id());
                }

                @Override
                public void remove(String id) {
                    Candidate gone = seen.remove(id);
                    if (gone != null) {
                        byOrder.remove(gone.order());
                    }
                }

                @Override
                public boolean followsCounters() {
                    return followsCounters;
                }

                @Override
                public String pick(PickRequest request, Set<String> excluded) {
                    atLastPick = Map.copyOf(seen);
                    return byOrder.values().stream().filter(id -> !excluded.contains(id)).findFirst().orElse(null);
                }
            };
        }
    }

    private static PoolIndex pool(LiveAccount... accounts) {
        PoolIndex index = new PoolIndex("p");
        for (LiveAccount live : accounts) {
            live.index(index);
        }
        index.update(List.of(accounts), true);
        return index;
    }

    private static LiveAccount live(String id, long order, int maxConcurrent) {
        return new LiveAccount(LiveAccountTest.account(id, maxConcurrent), order);
    }

    private Lease take(PoolIndex index, RotationStrategy strategy, PoolPolicy policy) {
        return index.acquire(strategy, policy, PICK, Set.of(), clock.get(), clock::get);
    }

    @Test
    void anAccountAtItsWindowLimitCoolsDownAndComesBackWhenTheCooldownEnds() {
        FirstAvailable strategy = new FirstAvailable();
        PoolIndex index = pool(live("a", 0, 0), live("b", 1, 0));

        assertEquals("a", take(index, strategy, LIMITED).accountId());
        assertEquals("a", take(index, strategy, LIMITED).accountId());
        assertEquals("b", take(index, strategy, LIMITED).accountId(), "a reached its limit of 2");
        assertEquals(Set.of("b"), strategy.seen.keySet());

        clock.addAndGet(30_000);
        assertEquals("a", take(index, strategy, LIMITED).accountId(), "the cooldown ended");
        assertEquals(1, strategy.selectors.get(), "one selector, kept up to date");
    }

    @Test
    void aBusyAccountIsSkippedUntilItsRequestEnds() {
        FirstAvailable strategy = new FirstAvailable();
        PoolIndex index = pool(live("a", 0, 1), live("b", 1, 1));

        Lease first = take(index, strategy, UNLIMITED);
        Lease second = take(index, strategy, UNLIMITED);
        assertEquals(List.of("a", "b"), List.of(first.accountId(), second.accountId()));
        assertNull(take(index, strategy, UNLIMITED), "both are busy");

        second.release(true);
        assertEquals("b", take(index, strategy, UNLIMITED).accountId());
        first.release(true);
        first.release(true);
        assertEquals("a", take(index, strategy, UNLIMITED).accountId(), "a release counts once");
    }

    @Test
    void theSelectorSeesCountersAfterEachRequestAndWindowsRollOverOnTime() {
        FirstAvailable strategy = new FirstAvailable();
        PoolIndex index = pool(live("a", 0, 0));

        Lease lease = take(index, strategy, UNLIMITED);
        assertEquals(1, strategy.seen.get("a").requestsThisWindow());
        assertEquals(1, strategy.seen.get("a").inFlight());
        lease.release(true);
        assertEquals(0, strategy.seen.get("a").inFlight());

        clock.addAndGet(60_000);
        take(index, strategy, UNLIMITED).release(true);
        assertEquals(0, strategy.atLastPick.get("a").requestsThisWindow(), "the window rolled over before the pick");
        assertEquals(1, strategy.seen.get("a").requestsThisWindow());
    }

    @Test
    void aSelectorThatReadsNoCountersIsToldOnlyWhenAnAccountComesOrGoes() {
        FirstAvailable strategy = new FirstAvailable();
        strategy.followsCounters = false;
        PoolIndex index = pool(live("a", 0, 0), live("b", 1, 1));

        for (int i = 0; i < 3; i++) {
            take(index, strategy, UNLIMITED).release(true);
        }
        assertEquals(2, strategy.puts.get(), "a and b once, when the selector was made; not after a's requests");
        assertEquals(0, strategy.seen.get("a").totalRequests(), "the copy it was given first");

        Lease b = index.acquire(strategy, UNLIMITED, PICK, Set.of("a"), clock.get(), clock::get);
        assertEquals("b", b.accountId());
        assertEquals(Set.of("a"), strategy.seen.keySet(), "b is busy at its limit of one: taken away at once");
        b.release(true);
        assertEquals(Set.of("a", "b"), strategy.seen.keySet(), "and given back when its request ends");
        assertEquals(1, strategy.seen.get("b").totalRequests());
    }

    @Test
    void cooldownsAndInvalidCredentialsReachTheSelectorAtOnce() {
        FirstAvailable strategy = new FirstAvailable();
        LiveAccount a = live("a", 0, 0);
        LiveAccount b = live("b", 1, 0);
        PoolIndex index = pool(a, b);
        take(index, strategy, UNLIMITED).release(true);

        index.coolDown(a, clock.get() + 5_000, "429", clock.get());
        index.invalidate(b, "401", clock.get());
        assertEquals(Set.of(), strategy.seen.keySet());
        assertNull(take(index, strategy, UNLIMITED));
        assertEquals(5_000, index.millisUntilFirstFree(Set.of(), UNLIMITED, clock.get()));
        assertEquals(LiveAccount.NEVER, index.millisUntilFirstFree(Set.of("a"), UNLIMITED, clock.get()));

        clock.addAndGet(5_000);
        assertEquals("a", take(index, strategy, UNLIMITED).accountId());
    }

    @Test
    void excludedAccountsAreNotPicked() {
        FirstAvailable strategy = new FirstAvailable();
        PoolIndex index = pool(live("a", 0, 0), live("b", 1, 0));

        assertEquals("b", index.acquire(strategy, UNLIMITED, PICK, Set.of("a"), clock.get(), clock::get).accountId());
        assertNull(index.acquire(strategy, UNLIMITED, PICK, Set.of("a", "b"), clock.get(), clock::get));
    }

    @Test
    void aReloadThatChangesAnAccountRebuildsTheSelectorAndOneThatChangesNothingDoesNot() {
        FirstAvailable strategy = new FirstAvailable();
        LiveAccount a = live("a", 0, 0);
        LiveAccount b = live("b", 1, 0);
        PoolIndex index = pool(a, b);
        take(index, strategy, UNLIMITED).release(true);

        index.update(List.of(a, b), false);
        take(index, strategy, UNLIMITED).release(true);
        assertEquals(1, strategy.selectors.get());

        assertTrue(a.refresh(a.account().withStatus(AccountStatus.INACTIVE, null)));
        index.update(List.of(a, b), true);
        assertEquals("b", take(index, strategy, UNLIMITED).accountId());
        assertEquals(2, strategy.selectors.get());
    }

    @Test
    void anAccountThatLeftThePoolIsNotPickedAgainWhenItsRequestEnds() {
        FirstAvailable strategy = new FirstAvailable();
        LiveAccount a = live("a", 0, 0);
        LiveAccount b = live("b", 1, 0);
        PoolIndex index = pool(a, b);
        Lease onA = take(index, strategy, UNLIMITED);
        assertEquals("a", onA.accountId());

        index.update(List.of(b), true); // a was deleted or moved to another pool while its request ran
        assertEquals("b", take(index, strategy, UNLIMITED).accountId());
        onA.release(true);
        assertEquals("b", take(index, strategy, UNLIMITED).accountId(), "a stays out of the pool it left");
        assertFalse(strategy.seen.containsKey("a"));

        index.update(List.of(a, b), true);
        assertEquals("a", take(index, strategy, UNLIMITED).accountId(), "and is back when it rejoins");
    }

    @Test
    void anAccountMovedToAnotherPoolServesThereWhicheverPoolIsUpdatedFirst() {
        for (boolean newPoolFirst : new boolean[] {true, false}) {
            FirstAvailable inP = new FirstAvailable();
            FirstAvailable inQ = new FirstAvailable();
            LiveAccount x = live("x", 0, 1);
            LiveAccount y = live("y", 1, 0);
            PoolIndex p = pool(x, y);
            PoolIndex q = new PoolIndex("q");
            Lease onX = take(p, inP, UNLIMITED);
            assertEquals("x", onX.accountId());

            x.index(q); // as the registry's load does, then each pool's index adopts its members
            if (newPoolFirst) {
                q.update(List.of(x), true);
                p.update(List.of(y), true);
            } else {
                p.update(List.of(y), true);
                q.update(List.of(x), true);
            }
            assertNull(take(q, inQ, UNLIMITED), "x is busy with its request from p (one at a time)");
            assertEquals("y", take(p, inP, UNLIMITED).accountId(), "p has only y");
            onX.release(true); // through x's index now: q
            p.release(x, true, clock.get()); // a release that still reaches p changes nothing there
            assertFalse(inP.seen.containsKey("x"));
            Lease inNewPool = take(q, inQ, UNLIMITED);
            assertEquals("x", inNewPool.accountId(), "x serves in q once its request ended");
            inNewPool.release(true);
            assertEquals("x", take(q, inQ, UNLIMITED).accountId(), "and x is free again in q");
        }
    }

    @Test
    void aStrategyThatOnlyPicksFromAListIsGivenTheAvailableAccounts() {
        List<List<String>> offered = new ArrayList<>();
        RotationStrategy last = (candidates, request) -> {
            offered.add(candidates.stream().map(Candidate::id).toList());
            return candidates.get(candidates.size() - 1).id();
        };
        LiveAccount a = live("a", 0, 0);
        PoolIndex index = pool(a, live("b", 1, 0), live("c", 2, 0));
        index.coolDown(a, clock.get() + 1, "429", clock.get());

        assertEquals("c", index.acquire(last, UNLIMITED, PICK, Set.of(), clock.get(), clock::get).accountId());
        assertEquals(List.of(List.of("b", "c")), offered);
    }

    @Test
    void aSelectorThatFailsLeavesThePicksToTheList() {
        IndexedRotationStrategy broken = new IndexedRotationStrategy() {
            @Override
            public String pick(List<Candidate> candidates, PickRequest request) {
                return candidates.get(1).id();
            }

            @Override
            public CandidateSelector selector(String pool) {
                throw new IllegalStateException("no index today");
            }
        };
        PoolIndex index = pool(live("a", 0, 0), live("b", 1, 0));

        assertEquals("b", index.acquire(broken, UNLIMITED, PICK, Set.of(), clock.get(), clock::get).accountId());
    }

    @Test
    void concurrentRequestsNeverTakeMoreSlotsThanAnAccountAllows() throws Exception {
        FirstAvailable strategy = new FirstAvailable();
        LiveAccount a = live("a", 0, 3);
        LiveAccount b = live("b", 1, 2);
        PoolIndex index = pool(a, b);
        AtomicInteger overruns = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 2_000; i++) {
                    Lease lease = index.acquire(strategy, UNLIMITED, PICK, Set.of(), clock.get(), clock::get);
                    if (lease == null) {
                        continue;
                    }
                    if (a.inFlight() > 3 || b.inFlight() > 2) {
                        overruns.incrementAndGet();
                    }
                    lease.release(true);
                }
            }));
        }
        start.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(0, overruns.get());
        assertEquals(0, a.inFlight() + b.inFlight());
        assertNotNull(take(index, strategy, UNLIMITED));
    }
}
