package io.rotor.strategies.builtin.internal;

import static io.rotor.strategies.builtin.internal.Fixtures.POOL;
import static io.rotor.strategies.builtin.internal.Fixtures.account;
import static io.rotor.strategies.builtin.internal.Fixtures.pickConcurrently;
import static io.rotor.strategies.builtin.internal.Fixtures.sequence;
import static io.rotor.strategies.builtin.internal.Fixtures.withUsage;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rotor.api.Candidate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LeastUsedStrategyTest {

    private final LeastUsedStrategy strategy = new LeastUsedStrategy();

    @Test
    void picksTheAccountWithFewestRequestsThisWindow() {
        List<Candidate> candidates = List.of(withUsage(account("a"), 5, 0), withUsage(account("b"), 2, 3),
                withUsage(account("c"), 4, 0));

        assertEquals("b b b", sequence(3, () -> strategy.pick(candidates, POOL)));
    }

    @Test
    void breaksTiesOnRequestsByFewestInFlight() {
        List<Candidate> candidates = List.of(withUsage(account("a"), 2, 2), withUsage(account("b"), 2, 1),
                withUsage(account("c"), 2, 3));

        assertEquals("b b", sequence(2, () -> strategy.pick(candidates, POOL)));
    }

    @Test
    void takesTurnsAmongAccountsTiedOnRequestsAndInFlight() {
        List<Candidate> candidates = List.of(withUsage(account("a"), 1, 0), withUsage(account("b"), 3, 0),
                withUsage(account("c"), 1, 0), withUsage(account("d"), 1, 0));

        assertEquals("a c d a c d", sequence(6, () -> strategy.pick(candidates, POOL)));
    }

    @Test
    void followsTheCountsAsTheyChange() {
        assertEquals("a", strategy.pick(List.of(withUsage(account("a"), 0, 0), withUsage(account("b"), 0, 0)), POOL));
        assertEquals("b", strategy.pick(List.of(withUsage(account("a"), 1, 0), withUsage(account("b"), 0, 0)), POOL));
        assertEquals("a", strategy.pick(List.of(withUsage(account("a"), 1, 0), withUsage(account("b"), 1, 0)), POOL));
    }

    @Test
    void spreadsConcurrentPicksThatSeeTheSameCountsOverTheTiedAccounts() throws Exception {
        List<Candidate> candidates = List.of(withUsage(account("a"), 0, 0), withUsage(account("b"), 0, 0),
                withUsage(account("c"), 0, 0), withUsage(account("d"), 9, 0));

        Map<String, Long> counts = pickConcurrently(8, 3_000, () -> strategy.pick(candidates, POOL));

        assertEquals(Map.of("a", 8_000L, "b", 8_000L, "c", 8_000L), counts);
    }
}
