package io.rotor.core.engine.internal;

/**
 * The effective rotation settings of one pool.
 *
 * @param perAccount requests per window per account; 0 means unlimited
 */
record PoolPolicy(String name, String strategy, int perAccount, long windowMs, long cooldownMs, int maxRetries) {
}
