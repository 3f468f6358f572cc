package io.rotor.api;

import java.time.Instant;

/**
 * The part of an account that changes with traffic, flushed to the store in the background.
 *
 * @param status a status the engine set (rate-limited, invalid, or back to active), or null to
 *        leave the stored status as it is
 * @param statusReason the reason that goes with {@code status}; ignored when status is null
 */
public record AccountRuntime(String id, AccountStatus status, String statusReason, Instant lastUsed,
        AccountStats stats, RateLimitState rateLimit) {
}
