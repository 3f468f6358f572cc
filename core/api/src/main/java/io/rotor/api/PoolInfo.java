package io.rotor.api;

/**
 * A pool as it runs: its effective settings and what it holds.
 *
 * @param strategy the strategy the pool is set to
 * @param activeStrategy the strategy actually picking: {@code strategy}, or {@code round-robin} when that is
 *        not installed
 * @param note why {@code activeStrategy} differs from {@code strategy}, or null
 * @param accounts accounts in the pool
 * @param available accounts that could serve a request now
 */
public record PoolInfo(String name, String strategy, String activeStrategy, String note, int perAccount,
        long windowMs, long cooldownMs, int maxRetries, int accounts, int available, int users) {
}
