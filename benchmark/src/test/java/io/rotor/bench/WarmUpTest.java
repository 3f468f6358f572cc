package io.rotor.bench;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** When the benchmark stops warming a process up: once its throughput has stopped rising. */
class WarmUpTest {

    @Test
    void aRateStillClimbingIsNotSteady() {
        // Rotor's rounds here while the JIT was still compiling its request path.
        assertFalse(Bench.isSteady(List.of(10_236.0, 14_650.0, 14_939.0, 22_845.0, 22_259.0, 25_709.0, 25_855.0)));
    }

    @Test
    void threeRoundsThatDoNotBeatTheBestAreSteady() {
        assertTrue(Bench.isSteady(List.of(10_236.0, 22_845.0, 29_544.0, 29_519.0, 29_819.0, 28_000.0)));
    }

    @Test
    void oneRoundMoreThanThreePercentAboveTheBestKeepsItGoing() {
        assertFalse(Bench.isSteady(List.of(20_000.0, 29_000.0, 29_100.0, 29_000.0, 30_000.0)));
        assertTrue(Bench.isSteady(List.of(20_000.0, 29_000.0, 29_100.0, 29_000.0, 29_800.0)));
    }

    @Test
    void noProcessIsSteadyBeforeTheLeastNumberOfRounds() {
        assertFalse(Bench.isSteady(List.of(30_000.0, 29_000.0, 29_000.0, 29_000.0)));
    }

    @Test
    void aDipIsNotARise() {
        assertTrue(Bench.isSteady(List.of(20_000.0, 30_000.0, 30_100.0, 14_000.0, 29_900.0)));
    }
}
