package io.rotor.strategies.builtin.internal;

import static io.rotor.strategies.builtin.internal.Fixtures.OTHER_POOL;
import static io.rotor.strategies.builtin.internal.Fixtures.POOL;
import static io.rotor.strategies.builtin.internal.Fixtures.account;
import static io.rotor.strategies.builtin.internal.Fixtures.pickConcurrently;
import static io.rotor.strategies.builtin.internal.Fixtures.sequence;
import static io.rotor.strategies.builtin.internal.Fixtures.withWeight;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rotor.api.Candidate;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class WeightedStrategyTest {

    private final WeightedStrategy strategy = new WeightedStrategy();
    private final Candidate a = withWeight(account("a"), 5);
    private final Candidate b = withWeight(account("b"), 1);
    private final Candidate c = withWeight(account("c"), 1);

    @Test
    void interleavesPicksSmoothlyInProportionToWeight() {
        assertEquals("a a b a c a a a a b a c a a",
                sequence(14, () -> strategy.pick(List.of(a, b, c), POOL)));
    }

    @Test
    void givesExactProportionsOverEachFullCycle() {
        List<Candidate> candidates = List.of(withWeight(account("a"), 3), withWeight(account("b"), 2),
                withWeight(account("c"), 1));

        for (int cycle = 0; cycle < 5; cycle++) {
            assertEquals(Map.of("a", 3L, "b", 2L, "c", 1L),
                    counts(sequence(6, () -> strategy.pick(candidates, POOL))));
        }
    }

    @Test
    void neverPicksAnAccountOfWeightZero() {
        List<Candidate> candidates = List.of(withWeight(account("a"), 2), withWeight(account("b"), 0),
                withWeight(account("c"), 1));

        assertEquals(Map.of("a", 200L, "c", 100L), counts(sequence(300, () -> strategy.pick(candidates, POOL))));
    }

    @Test
    void treatsAccountsAsEqualWhenAllWeightsAreZero() {
        List<Candidate> candidates = List.of(withWeight(account("a"), 0), withWeight(account("b"), 0),
                withWeight(account("c"), 0));

        assertEquals("a b c a b c", sequence(6, () -> strategy.pick(candidates, POOL)));
    }

    @Test
    void picksAmongTheAccountsLeftWhenOneDropsOutAndResumesWhenItComesBack() {
        assertEquals("a a b a c a a", sequence(7, () -> strategy.pick(List.of(a, b, c), POOL)));

        assertEquals(Map.of("a", 25L, "c", 5L), counts(sequence(30, () -> strategy.pick(List.of(a, c), POOL))));

        assertEquals("a a b a c a a", sequence(7, () -> strategy.pick(List.of(a, b, c), POOL)));
    }

    @Test
    void givesANewAccountItsShareFromItsFirstPick() {
        sequence(3, () -> strategy.pick(List.of(a, b), POOL));
        Candidate d = withWeight(account("d"), 6);

        Map<String, Long> counts = counts(sequence(1_300, () -> strategy.pick(List.of(a, b, c, d), POOL)));

        // 1,300 picks over weights 5+1+1+6 = 100 cycles; the earlier state shifts at most one pick.
        assertEquals(600, counts.get("d"), 1);
        assertEquals(500, counts.get("a"), 1);
    }

    @Test
    void keepsSeparateWeightsForEachPool() {
        assertEquals("a a", sequence(2, () -> strategy.pick(List.of(a, b, c), POOL)));
        assertEquals("a", strategy.pick(List.of(a, b, c), OTHER_POOL));
        assertEquals("b", strategy.pick(List.of(a, b, c), POOL));
    }

    @Test
    void givesExactProportionsOverWholeCyclesUnderConcurrentPicks() throws Exception {
        // 8 threads x 7,000 picks = 8,000 whole cycles of 5+1+1.
        Map<String, Long> counts = pickConcurrently(8, 7_000, () -> strategy.pick(List.of(a, b, c), POOL));

        assertEquals(Map.of("a", 40_000L, "b", 8_000L, "c", 8_000L), counts);
    }

    private static Map<String, Long> counts(String sequence) {
        return Arrays.stream(sequence.split(" "))
                .collect(Collectors.groupingBy(Function.identity(), TreeMap::new, Collectors.counting()));
    }
}
