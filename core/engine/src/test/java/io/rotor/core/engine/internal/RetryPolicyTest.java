package io.rotor.core.engine.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    @Test
    void backoffIsJitteredBetweenAQuarterAndTheWholeBaseTimesTheRetryNumber() {
        Random random = new Random(42);
        for (int retry = 1; retry <= 5; retry++) {
            Set<Long> seen = new HashSet<>();
            for (int i = 0; i < 2_000; i++) {
                long pause = RetryPolicy.backoffMs(retry, 100, random);
                assertTrue(pause >= 25L * retry && pause <= 100L * retry, retry + ": " + pause);
                seen.add(pause);
            }
            assertTrue(seen.size() > 20, "jittered, not fixed: " + seen.size() + " distinct pauses");
        }
    }

    @Test
    void noBackoffBeforeTheFirstAttemptOrWhenTurnedOff() {
        assertEquals(0, RetryPolicy.backoffMs(0, 100, new Random()));
        assertEquals(0, RetryPolicy.backoffMs(3, 0, new Random()));
    }

    @Test
    void onlyUpstreamFaultsBackOffNotAccountSpecificRefusals() {
        assertTrue(RetryPolicy.backsOff(new Outcome.Failed("HTTP 503", false)));
        assertFalse(RetryPolicy.backsOff(new Outcome.RateLimited(1_000)));
        assertFalse(RetryPolicy.backsOff(new Outcome.InvalidCredential("HTTP 401")));
    }

    @Test
    void theConfiguredBackoffIsReadAndCapped() {
        assertEquals(RetryPolicy.DEFAULT_BACKOFF_MS, EngineSettings.from(Map.of()).retryBackoffMs());
        assertEquals(40, EngineSettings.from(Map.of("retry.backoffMs", "40")).retryBackoffMs());
        assertEquals(RetryPolicy.MAX_BACKOFF_MS, EngineSettings.from(Map.of("retry.backoffMs", "999999")).retryBackoffMs());
    }
}
