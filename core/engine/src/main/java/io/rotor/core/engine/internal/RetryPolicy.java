package io.rotor.core.engine.internal;

import io.rotor.api.ErrorCode;
import io.rotor.api.RotorException;
import java.util.List;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;

/**
 * The retry decisions of the request loop, as pure functions: whether an outcome ends the loop,
 * and which error the client gets when every attempt failed.
 */
final class RetryPolicy {

    /** Upper bound of the pause before the first retry ({@code retry.backoffMs}). */
    static final long DEFAULT_BACKOFF_MS = 100;
    /** Cap on {@code retry.backoffMs}: a request thread must never sleep long. */
    static final long MAX_BACKOFF_MS = 2_000;

    private RetryPolicy() {
    }

    /**
     * The pause before retry number {@code retry} (1 for the first) after an upstream fault: uniform
     * in [base/4, base] times the retry number, so a burst of failing requests does not hammer the
     * next account in lock step. 0 when backoff is off.
     */
    static long backoffMs(int retry, long baseMs, RandomGenerator random) {
        if (baseMs <= 0 || retry <= 0) {
            return 0;
        }
        long low = Math.max(1, baseMs / 4);
        return (low + random.nextLong(baseMs - low + 1)) * retry;
    }

    /**
     * Returns true if the outcome calls for a pause before the next attempt: a network error or a 5xx
     * may be upstream-wide, while a rate limit or a refused credential belongs to the one account.
     */
    static boolean backsOff(Outcome outcome) {
        return outcome instanceof Outcome.Failed;
    }

    /** Returns true if the outcome goes to the client; false if the request moves to another account. */
    static boolean delivers(Outcome outcome) {
        return outcome instanceof Outcome.Served || outcome instanceof Outcome.Refused;
    }

    /**
     * The error for a request whose attempts all failed.
     *
     * @param retryAfterMs time until the first account of the pool frees up, or {@link LiveAccount#NEVER}
     */
    static RotorException exhausted(List<Outcome> attempts, long retryAfterMs) {
        Long retryAfter = retryAfterMs == LiveAccount.NEVER ? null : retryAfterMs;
        boolean anyFailure = attempts.stream().anyMatch(Outcome.Failed.class::isInstance);
        boolean anyRateLimited = attempts.stream().anyMatch(Outcome.RateLimited.class::isInstance);
        if (!anyFailure && anyRateLimited) {
            return new RotorException(ErrorCode.RATE_LIMIT_EXCEEDED,
                    "Every account tried was rate-limited upstream (" + attempts.size() + " attempts).",
                    retryAfter, null, null);
        }
        String summary = attempts.stream().map(RetryPolicy::describe).collect(Collectors.joining(", "));
        boolean lastTimedOut = attempts.get(attempts.size() - 1) instanceof Outcome.Failed failed && failed.timeout();
        return new RotorException(lastTimedOut ? ErrorCode.UPSTREAM_TIMEOUT : ErrorCode.UPSTREAM_ERROR,
                "Upstream failed on " + attempts.size() + " attempt(s): " + summary + ".", retryAfter, null, null);
    }

    private static String describe(Outcome outcome) {
        return switch (outcome) {
            case Outcome.RateLimited limited -> "rate-limited";
            case Outcome.InvalidCredential invalid -> invalid.reason();
            case Outcome.Failed failed -> failed.reason();
            case Outcome.Served served -> "HTTP " + served.response().status();
            case Outcome.Refused refused -> "HTTP " + refused.response().status();
        };
    }
}
