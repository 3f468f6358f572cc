package io.rotor.strategies.builtin.internal;

import static io.rotor.strategies.builtin.internal.Fixtures.OTHER_POOL;
import static io.rotor.strategies.builtin.internal.Fixtures.POOL;
import static io.rotor.strategies.builtin.internal.Fixtures.accounts;
import static io.rotor.strategies.builtin.internal.Fixtures.pickConcurrently;
import static io.rotor.strategies.builtin.internal.Fixtures.sequence;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rotor.api.Candidate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StickyStrategyTest {

    private final StickyStrategy strategy = new StickyStrategy();
    private final List<Candidate> abcd = accounts("a", "b", "c", "d");

    @Test
    void keepsTheCurrentAccountWhileItIsACandidate() {
        assertEquals("a a a", sequence(3, () -> strategy.pick(abcd, POOL)));
        assertEquals("a", strategy.pick(accounts("a", "c"), POOL));
    }

    @Test
    void movesToTheNextAccountInCircularOrderWhenTheCurrentOneIsNotACandidate() {
        strategy.pick(abcd, POOL);

        assertEquals("c", strategy.pick(accounts("c", "d"), POOL));
        // c is now current, even once a is back.
        assertEquals("c c", sequence(2, () -> strategy.pick(abcd, POOL)));
    }

    @Test
    void wrapsAroundWhenNoAccountFollowsTheCurrentOne() {
        strategy.rotate(abcd, POOL);
        strategy.rotate(abcd, POOL);
        strategy.rotate(abcd, POOL);

        assertEquals("a", strategy.pick(accounts("a", "b"), POOL));
    }

    @Test
    void rotateAdvancesToTheNextAccountAndMakesItCurrent() {
        assertEquals("a", strategy.pick(abcd, POOL));

        assertEquals("b", strategy.rotate(abcd, POOL));
        assertEquals("b b", sequence(2, () -> strategy.pick(abcd, POOL)));
        assertEquals("d", strategy.rotate(accounts("a", "d"), POOL));
        assertEquals("a", strategy.rotate(abcd, POOL));
    }

    @Test
    void keepsASeparateCurrentAccountForEachPool() {
        strategy.pick(abcd, POOL);
        strategy.rotate(abcd, POOL);

        assertEquals("a", strategy.pick(abcd, OTHER_POOL));
        assertEquals("b", strategy.pick(abcd, POOL));
    }

    @Test
    void movesOnOnceWhenManyConcurrentPicksFindTheCurrentAccountGone() throws Exception {
        strategy.pick(abcd, POOL);
        List<Candidate> withoutA = accounts("b", "c", "d");

        Map<String, Long> counts = pickConcurrently(8, 1_000, () -> strategy.pick(withoutA, POOL));

        assertEquals(Map.of("b", 8_000L), counts);
    }
}
