package io.rotor.api;

import java.util.List;

/**
 * A read-only view of one account that a strategy may pick, taken when the pick starts.
 *
 * @param requestsThisWindow requests counted in the account's current rate-limit window
 * @param totalRequests lifetime requests
 * @param lastUsed epoch millis of the last use, 0 if never
 * @param inFlight requests being served by this account right now
 * @param order position of the account in the pool's stable order (by creation), for circular strategies
 * @param latencyMs moving average (EWMA) of this account's recent upstream latency in milliseconds, time to the
 *     upstream's response headers; {@link Double#NaN} while unknown (no call answered yet since the engine started)
 */
public record Candidate(String id, String upstream, int priority, int weight, List<String> tags,
        AccountStatus status, int requestsThisWindow, long totalRequests, long lastUsed, int inFlight,
        int maxConcurrent, long order, double latencyMs) {

    public Candidate {
        tags = tags == null ? List.of() : List.copyOf(tags);
    }

    /** A candidate whose latency is not known ({@link #latencyMs()} is NaN); the signature of API 0.1. */
    public Candidate(String id, String upstream, int priority, int weight, List<String> tags,
            AccountStatus status, int requestsThisWindow, long totalRequests, long lastUsed, int inFlight,
            int maxConcurrent, long order) {
        this(id, upstream, priority, weight, tags, status, requestsThisWindow, totalRequests, lastUsed, inFlight,
                maxConcurrent, order, Double.NaN);
    }
}
