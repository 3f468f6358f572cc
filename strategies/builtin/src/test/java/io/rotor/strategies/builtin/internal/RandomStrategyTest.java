package io.rotor.strategies.builtin.internal;

import static io.rotor.strategies.builtin.internal.Fixtures.POOL;
import static io.rotor.strategies.builtin.internal.Fixtures.accounts;
import static io.rotor.strategies.builtin.internal.Fixtures.pickConcurrently;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rotor.api.Candidate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RandomStrategyTest {

    private final RandomStrategy strategy = new RandomStrategy();

    @Test
    void picksTheOnlyCandidate() {
        assertEquals("c", strategy.pick(accounts("c"), POOL));
    }

    @Test
    void picksNoneFromNoCandidates() {
        assertNull(strategy.pick(List.of(), POOL));
    }

    @Test
    void spreadsPicksUniformly() throws Exception {
        List<Candidate> abcd = accounts("a", "b", "c", "d");

        Map<String, Long> counts = pickConcurrently(8, 12_500, () -> strategy.pick(abcd, POOL));

        // 100,000 picks: each count has mean 25,000 and standard deviation about 137, so the
        // ±10% bound (2,500) lies 18 standard deviations out and cannot fail by chance.
        assertEquals(List.of("a", "b", "c", "d"), List.copyOf(counts.keySet()));
        counts.forEach((id, count) ->
                assertTrue(Math.abs(count - 25_000) <= 2_500, id + " picked " + count + " times"));
    }
}
