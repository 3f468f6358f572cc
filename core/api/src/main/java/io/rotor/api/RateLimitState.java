package io.rotor.api;

import java.time.Instant;

/**
 * The fixed-window limiter state of one account (the seed's {@code rateLimit{…}}).
 *
 * @param requestsThisWindow requests counted in the current window (the seed's {@code requestsThisMinute})
 * @param windowStart start of the current window, or null before the first request
 * @param blockedUntil end of the current cooldown, or null when not cooling down
 */
public record RateLimitState(int requestsThisWindow, Instant windowStart, Instant blockedUntil) {

    public static final RateLimitState EMPTY = new RateLimitState(0, null, null);
}
