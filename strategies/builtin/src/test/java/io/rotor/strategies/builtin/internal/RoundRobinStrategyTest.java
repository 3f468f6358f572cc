package io.rotor.strategies.builtin.internal;

import static io.rotor.strategies.builtin.internal.Fixtures.OTHER_POOL;
import static io.rotor.strategies.builtin.internal.Fixtures.POOL;
import static io.rotor.strategies.builtin.internal.Fixtures.accounts;
import static io.rotor.strategies.builtin.internal.Fixtures.pickConcurrently;
import static io.rotor.strategies.builtin.internal.Fixtures.sequence;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rotor.api.Candidate;
import io.rotor.api.PickRequest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RoundRobinStrategyTest {

    private final RoundRobinStrategy strategy = new RoundRobinStrategy();
    private final List<Candidate> abcd = accounts("a", "b", "c", "d");

    @Test
    void servesAccountsInCircularOrder() {
        assertEquals("a b c d a b c d a", sequence(9, () -> strategy.pick(abcd, POOL)));
    }

    @Test
    void skipsAnAccountThatDropsOutAndServesItAgainWhenItComesBack() {
        assertEquals("a b", sequence(2, () -> strategy.pick(abcd, POOL)));
        assertEquals("d a", sequence(2, () -> strategy.pick(accounts("a", "b", "d"), POOL)));
        assertEquals("b c d a", sequence(4, () -> strategy.pick(abcd, POOL)));
    }

    @Test
    void continuesAfterTheLastServedAccountWhenThatAccountIsMissing() {
        assertEquals("a b", sequence(2, () -> strategy.pick(abcd, POOL)));
        assertEquals("c", strategy.pick(accounts("a", "c", "d"), POOL));
    }

    @Test
    void wrapsAroundWhenTheLastServedAccountHasTheHighestOrderLeft() {
        assertEquals("a b c d", sequence(4, () -> strategy.pick(abcd, POOL)));
        assertEquals("b", strategy.pick(accounts("b", "c"), POOL));
    }

    @Test
    void keepsASeparateRotationForEachPool() {
        assertEquals("a b", sequence(2, () -> strategy.pick(abcd, POOL)));
        assertEquals("a", strategy.pick(abcd, OTHER_POOL));
        assertEquals("c", strategy.pick(abcd, POOL));
    }

    @Test
    void servesRequestsWithoutAPoolFromTheirOwnRotation() {
        PickRequest noPool = new PickRequest("gpt-4o", null, null, 0);
        assertEquals("a b", sequence(2, () -> strategy.pick(abcd, noPool)));
        assertEquals("a", strategy.pick(abcd, POOL));
    }

    @Test
    void spreadsConcurrentPicksExactlyEvenly() throws Exception {
        Map<String, Long> counts = pickConcurrently(8, 10_000, () -> strategy.pick(abcd, POOL));

        assertEquals(Map.of("a", 20_000L, "b", 20_000L, "c", 20_000L, "d", 20_000L), counts);
    }
}
