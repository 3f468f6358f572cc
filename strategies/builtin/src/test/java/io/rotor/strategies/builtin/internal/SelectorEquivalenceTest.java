package io.rotor.strategies.builtin.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rotor.api.AccountStatus;
import io.rotor.api.Candidate;
import io.rotor.api.CandidateSelector;
import io.rotor.api.IndexedRotationStrategy;
import io.rotor.api.PickRequest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Each built-in strategy's selector picks exactly what its list pick picks, over long random runs in
 * which accounts come and go, change weight, priority and counters, and picks exclude accounts.
 */
class SelectorEquivalenceTest {

    private static final PickRequest REQUEST = new PickRequest("m", "u", "pool", 0);
    private static final int ACCOUNTS = 12;
    private static final int STEPS = 3_000;

    @Test
    void roundRobinSelectorPicksAsItsListPick() {
        assertSamePicks(RoundRobinStrategy::new, false);
    }

    @Test
    void stickySelectorPicksAndRotatesAsItsListPick() {
        assertSamePicks(StickyStrategy::new, true);
    }

    @Test
    void prioritySelectorPicksAsItsListPick() {
        assertSamePicks(PriorityStrategy::new, false);
    }

    @Test
    void leastUsedSelectorPicksAsItsListPick() {
        assertSamePicks(LeastUsedStrategy::new, false);
    }

    @Test
    void leastUsedSelectorPicksAsItsListPickOverManyAccountsPutInAnyOrder() {
        // Orders shuffled: accounts reach the selector out of order, and its positions must be assigned again.
        assertSamePicks(LeastUsedStrategy::new, false, 300, true);
    }

    @Test
    void weightedSelectorPicksAsItsListPick() {
        assertSamePicks(WeightedStrategy::new, false);
    }

    @Test
    void weightedSelectorKeepsTheRotationWhenTheEngineAsksForANewSelector() {
        WeightedStrategy list = new WeightedStrategy();
        WeightedStrategy indexed = new WeightedStrategy();
        List<Candidate> candidates = List.of(Fixtures.withWeight(Fixtures.account("a"), 5),
                Fixtures.withWeight(Fixtures.account("b"), 1), Fixtures.withWeight(Fixtures.account("c"), 1));
        CandidateSelector selector = indexed.selector("pool");
        candidates.forEach(selector::put);
        for (int i = 0; i < 3; i++) {
            assertEquals(list.pick(candidates, REQUEST), selector.pick(REQUEST, Set.of()));
        }
        CandidateSelector again = indexed.selector("pool");
        assertNull(again.pick(REQUEST, Set.of()), "a new selector holds no accounts until they are put");
        candidates.forEach(again::put);
        for (int i = 0; i < 11; i++) {
            assertEquals(list.pick(candidates, REQUEST), again.pick(REQUEST, Set.of()));
        }
    }

    @Test
    void randomSelectorPicksEveryAvailableAccountNeverAnExcludedOne() {
        CandidateSelector selector = new RandomStrategy().selector("pool");
        assertNull(selector.pick(REQUEST, Set.of()));
        for (String id : List.of("a", "b", "c", "d")) {
            selector.put(Fixtures.account(id));
        }
        selector.remove("d");
        Map<String, Integer> counts = new TreeMap<>();
        for (int i = 0; i < 3_000; i++) {
            counts.merge(selector.pick(REQUEST, Set.of("b")), 1, Integer::sum);
        }
        assertEquals(Set.of("a", "c"), counts.keySet());
        assertTrue(counts.get("a") > 1_200 && counts.get("c") > 1_200, counts.toString());
        assertNull(selector.pick(REQUEST, Set.of("a", "b", "c")));
    }

    /** Runs the same random history through a list-picking instance and a selector of another instance. */
    private static void assertSamePicks(Supplier<IndexedRotationStrategy> strategies, boolean rotates) {
        assertSamePicks(strategies, rotates, ACCOUNTS, false);
    }

    private static void assertSamePicks(Supplier<IndexedRotationStrategy> strategies, boolean rotates, int count,
            boolean shuffled) {
        for (long seed = 1; seed <= 12; seed++) {
            Random random = new Random(seed);
            List<Long> orders = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                orders.add(i * 3L);
            }
            if (shuffled) {
                Collections.shuffle(orders, random);
            }
            IndexedRotationStrategy byList = strategies.get();
            CandidateSelector selector = strategies.get().selector("pool");
            Map<String, Candidate> accounts = new LinkedHashMap<>();
            Set<String> available = new HashSet<>();
            for (int i = 0; i < count; i++) {
                String id = "acc" + i;
                accounts.put(id, candidate(id, orders.get(i), random));
                if (random.nextBoolean()) {
                    available.add(id);
                    selector.put(accounts.get(id));
                }
            }
            List<String> ids = List.copyOf(accounts.keySet());
            for (int step = 0; step < STEPS; step++) {
                String someone = ids.get(random.nextInt(ids.size()));
                int change = random.nextInt(10);
                if (change < 3) {
                    if (available.remove(someone)) {
                        selector.remove(someone);
                    } else {
                        available.add(someone);
                        selector.put(accounts.get(someone));
                    }
                } else if (change < 4) {
                    accounts.put(someone, candidate(someone, accounts.get(someone).order(), random));
                    if (available.contains(someone)) {
                        selector.put(accounts.get(someone));
                    }
                }
                Set<String> excluded = new HashSet<>();
                if (random.nextInt(5) == 0) {
                    excluded.add(ids.get(random.nextInt(ids.size())));
                    excluded.add(ids.get(random.nextInt(ids.size())));
                }
                List<Candidate> open = new ArrayList<>();
                accounts.values().stream().sorted(Comparator.comparingLong(Candidate::order))
                        .filter(c -> available.contains(c.id()) && !excluded.contains(c.id())).forEach(open::add);
                boolean rotate = rotates && random.nextInt(7) == 0;
                String expected = open.isEmpty() ? null
                        : rotate ? byList.rotate(open, REQUEST) : byList.pick(open, REQUEST);
                String actual = rotate ? selector.rotate(REQUEST, excluded) : selector.pick(REQUEST, excluded);
                assertEquals(expected, actual, "seed " + seed + ", step " + step);
                if (actual != null) {
                    // As the engine does: a pick counts a request on the account.
                    Candidate used = accounts.get(actual);
                    accounts.put(actual, withCounts(used, used.requestsThisWindow() + 1, used.inFlight() + 1));
                    selector.put(accounts.get(actual));
                }
            }
        }
    }

    private static Candidate candidate(String id, long order, Random random) {
        int[] weights = {0, 1, 1, 2, 3, 5};
        return new Candidate(id, "openai", 1 + random.nextInt(3), weights[random.nextInt(weights.length)], List.of(),
                AccountStatus.ACTIVE, random.nextInt(3), 0, 0, random.nextInt(2), 0, order);
    }

    private static Candidate withCounts(Candidate c, int requests, int inFlight) {
        return new Candidate(c.id(), c.upstream(), c.priority(), c.weight(), c.tags(), c.status(), requests,
                c.totalRequests(), c.lastUsed(), inFlight, c.maxConcurrent(), c.order());
    }
}
