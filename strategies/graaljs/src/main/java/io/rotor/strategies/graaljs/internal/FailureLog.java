package io.rotor.strategies.graaljs.internal;

/**
 * Decides which failures of one script reach the log: the first one at once, then at most one
 * line per {@link #QUIET_MILLIS}, saying how many were left out. A script that fails on every
 * request would otherwise write a line per request.
 */
final class FailureLog {

    static final long QUIET_MILLIS = 5_000;

    private long lastLoggedAt = Long.MIN_VALUE;
    private long suppressed;

    /** Returns the line to log for this failure, or null to leave it out. */
    synchronized String lineFor(String failure, long nowMillis) {
        if (lastLoggedAt != Long.MIN_VALUE && nowMillis - lastLoggedAt < QUIET_MILLIS) {
            suppressed++;
            return null;
        }
        String line = suppressed == 0 ? failure
                : failure + " (" + suppressed + " more failure" + (suppressed == 1 ? "" : "s") + " not logged)";
        lastLoggedAt = nowMillis;
        suppressed = 0;
        return line;
    }
}
