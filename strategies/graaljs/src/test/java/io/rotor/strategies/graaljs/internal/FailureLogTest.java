package io.rotor.strategies.graaljs.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class FailureLogTest {

    @Test
    void logsTheFirstFailureAtOnceThenAtMostOneLinePerQuietPeriodWithTheCountLeftOut() {
        FailureLog log = new FailureLog();
        assertEquals("boom", log.lineFor("boom", 1_000));
        assertNull(log.lineFor("boom", 1_001));
        assertNull(log.lineFor("other", 1_000 + FailureLog.QUIET_MILLIS - 1));
        assertEquals("late (2 more failures not logged)", log.lineFor("late", 1_000 + FailureLog.QUIET_MILLIS));
        assertNull(log.lineFor("again", 1_000 + FailureLog.QUIET_MILLIS + 1));
        assertEquals("much later (1 more failure not logged)", log.lineFor("much later", 1_000 + 3 * FailureLog.QUIET_MILLIS));
        assertEquals("quiet since", log.lineFor("quiet since", 1_000 + 5 * FailureLog.QUIET_MILLIS));
    }
}
