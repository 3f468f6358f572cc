package io.rotor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The scale phase's figure: the median of the ratios of rounds run back to back. */
class PairedRoundsTest {

    @Test
    void oneDisturbedRoundDoesNotMoveTheMedianAsItMovesTheSums() {
        // Six pairs at 0.97 but one, where the second set's round lost half its requests to something else.
        Bench.Paired paired = new Bench.Paired(30_000, 28_230, List.of(0.97, 0.97, 0.49, 0.97, 0.98, 0.96));

        assertEquals(0.97, paired.ratio(), 1e-9);
        assertEquals("0.97 (0.49–0.98)", paired.describe());
    }

    @Test
    void anEvenNumberOfPairsTakesTheMeanOfTheMiddleTwo() {
        assertEquals(0.95, new Bench.Paired(1, 1, List.of(1.00, 0.90, 0.96, 0.94)).ratio(), 1e-9);
    }

    @Test
    void anOddNumberOfPairsTakesTheMiddleOne() {
        assertEquals(0.93, new Bench.Paired(1, 1, List.of(0.99, 0.93, 0.80)).ratio(), 1e-9);
    }
}
