package io.rotor.api;

import java.time.Instant;

/**
 * Lifetime counters of one account (the seed's {@code stats{…}}).
 *
 * @param lastRequestAt when the account last served a request, or null if never
 */
public record AccountStats(long totalRequests, long successfulRequests, long failedRequests,
        long rateLimitHits, Instant lastRequestAt) {

    public static final AccountStats EMPTY = new AccountStats(0, 0, 0, 0, null);

    /** Returns the share of successful requests in [0, 1], or 0 when there were none. */
    public double successRate() {
        return totalRequests == 0 ? 0 : (double) successfulRequests / totalRequests;
    }
}
