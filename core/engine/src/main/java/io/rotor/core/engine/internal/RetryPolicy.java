package io.rotor.core.engine.internal;

import io.rotor.api.ErrorCode;
import io.rotor.api.RotorException;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The retry decisions of the request loop, as pure functions: whether an outcome ends the loop,
 * and which error the client gets when every attempt failed.
 */
final class RetryPolicy {

    private RetryPolicy() {
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
