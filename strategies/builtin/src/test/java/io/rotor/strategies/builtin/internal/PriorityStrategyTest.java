package io.rotor.strategies.builtin.internal;

import static io.rotor.strategies.builtin.internal.Fixtures.POOL;
import static io.rotor.strategies.builtin.internal.Fixtures.OTHER_POOL;
import static io.rotor.strategies.builtin.internal.Fixtures.account;
import static io.rotor.strategies.builtin.internal.Fixtures.pickConcurrently;
import static io.rotor.strategies.builtin.internal.Fixtures.sequence;
import static io.rotor.strategies.builtin.internal.Fixtures.withPriority;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rotor.api.Candidate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PriorityStrategyTest {

    private final PriorityStrategy strategy = new PriorityStrategy();
    private final Candidate a = withPriority(account("a"), 2);
    private final Candidate b = withPriority(account("b"), 1);
    private final Candidate c = withPriority(account("c"), 3);
    private final Candidate d = withPriority(account("d"), 1);

    @Test
    void picksTheLowestPriorityValue() {
        assertEquals("a a", sequence(2, () -> strategy.pick(List.of(a, c), POOL)));
    }

    @Test
    void rotatesAmongAccountsTiedOnTheLowestValue() {
        assertEquals("b d b d", sequence(4, () -> strategy.pick(List.of(a, b, c, d), POOL)));
    }

    @Test
    void fallsBackToAHigherValueOnlyWhileNoLowerIsAvailable() {
        assertEquals("b", strategy.pick(List.of(a, b, c, d), POOL));
        assertEquals("a a", sequence(2, () -> strategy.pick(List.of(a, c), POOL)));
        assertEquals("c", strategy.pick(List.of(c), POOL));
        assertEquals("d b", sequence(2, () -> strategy.pick(List.of(a, b, c, d), POOL)));
    }

    @Test
    void rotatesAmongTiedAccountsAtAHigherValueToo() {
        Candidate e = withPriority(account("e"), 2);

        assertEquals("a e a", sequence(3, () -> strategy.pick(List.of(a, c, e), POOL)));
    }

    @Test
    void keepsASeparateRotationForEachPool() {
        assertEquals("b", strategy.pick(List.of(a, b, c, d), POOL));
        assertEquals("b", strategy.pick(List.of(a, b, c, d), OTHER_POOL));
        assertEquals("d", strategy.pick(List.of(a, b, c, d), POOL));
    }

    @Test
    void spreadsConcurrentPicksEvenlyOverTheTiedAccounts() throws Exception {
        Map<String, Long> counts = pickConcurrently(8, 5_000, () -> strategy.pick(List.of(a, b, c, d), POOL));

        assertEquals(Map.of("b", 20_000L, "d", 20_000L), counts);
    }
}
