package io.rotor.core.engine.internal;

import io.rotor.api.Account;
import io.rotor.api.AccountRuntime;
import io.rotor.api.AccountStats;
import io.rotor.api.AccountStatus;
import io.rotor.api.Candidate;
import io.rotor.api.RateLimitState;
import java.time.Instant;
import java.util.Map;
import java.util.function.Function;

/**
 * One account's live state: its stored definition plus the counters, window and cooldown that
 * change with traffic. Every method is synchronized on the instance, so the check-and-take of a
 * slot is atomic under concurrent requests; nothing here touches the disk.
 */
final class LiveAccount {

    /** EWMA weight of the newest latency sample: the last ~5 calls dominate, one slow call does not. */
    static final double LATENCY_WEIGHT = 0.3;
    /** Kept in memory only: a restart starts from unknown. */
    private double latencyMs = Double.NaN;

    /** Sentinel for "never frees up on its own" (invalid, inactive, blocked). */
    static final long NEVER = Long.MAX_VALUE;
    /** A busy account frees up when one of its requests ends; we cannot know when, so suggest a short wait. */
    static final long BUSY_RETRY_MS = 1_000;

    private Account account;
    private final long order;
    private AccountStatus status;
    private String statusReason;
    private AccountStatus storedStatus;
    private boolean statusDirty;
    private int windowCount;
    private long windowStart;
    private long blockedUntil;
    private int inFlight;
    private long totalRequests;
    private long successfulRequests;
    private long failedRequests;
    private long rateLimitHits;
    private long lastRequestAt;
    private long lastUsed;
    private boolean dirty;

    /** The secrets decrypted, and the ciphertexts they came from: decrypted once, not per request. */
    private Map<String, String> plainSecrets;
    private Map<String, String> plainSecretsOf;

    /** The index of the pool the account is in now; set by the registry on every load. */
    private volatile PoolIndex index;
    /** The metrics counter this account's last request went to; any thread may replace it. */
    volatile GatewayMetrics.AccountCounter lastCounter;
    /** The index whose members include the account; written under that index's lock when its members change. */
    volatile PoolIndex memberOf;
    /** Whether the pool's index counts the account as available; guarded by that index's lock. */
    boolean listed;
    /** When the index will look at the account again (cooldown or window end), {@link #NEVER} if not; same lock. */
    long wakeAt = NEVER;

    LiveAccount(Account account, long order) {
        this.order = order;
        this.account = account;
        this.status = account.status();
        this.statusReason = account.statusReason();
        this.storedStatus = account.status();
        AccountStats stats = account.stats();
        totalRequests = stats.totalRequests();
        successfulRequests = stats.successfulRequests();
        failedRequests = stats.failedRequests();
        rateLimitHits = stats.rateLimitHits();
        lastRequestAt = millis(stats.lastRequestAt());
        lastUsed = millis(account.lastUsed());
        RateLimitState rateLimit = account.rateLimit();
        windowCount = rateLimit.requestsThisWindow();
        windowStart = millis(rateLimit.windowStart());
        blockedUntil = millis(rateLimit.blockedUntil());
    }

    synchronized Account account() {
        return account;
    }

    String id() {
        return account.id();
    }

    long order() {
        return order;
    }

    PoolIndex index() {
        return index;
    }

    void index(PoolIndex poolIndex) {
        index = poolIndex;
    }

    /**
     * Adopts a new stored definition (an admin change, possibly from another process), keeping
     * live counters. A status changed in the store wins over the live one.
     *
     * @return true if anything a pick depends on changed: status, pool, upstream, priority, weight,
     *         tags or the concurrency limit (not statistics)
     */
    synchronized boolean refresh(Account stored) {
        boolean changed = stored.status() != storedStatus || !stored.pool().equals(account.pool())
                || !stored.upstream().equals(account.upstream()) || stored.priority() != account.priority()
                || stored.weight() != account.weight() || !stored.tags().equals(account.tags())
                || stored.maxConcurrent() != account.maxConcurrent();
        if (stored.status() != storedStatus) {
            status = stored.status();
            statusReason = stored.statusReason();
            statusDirty = false;
            if (status == AccountStatus.ACTIVE) {
                blockedUntil = 0;
                windowCount = 0;
            }
        }
        storedStatus = stored.status();
        // Keeps the record in hand when only its counters changed (this object keeps the live ones): a reload after
        // each statistics flush brings every account again, and a fresh copy per account each second would be cold
        // in the processor's cache at each account's next request.
        if (!stored.withRuntime(account.stats(), account.rateLimit(), account.lastUsed()).equals(account)) {
            account = stored;
        }
        return changed;
    }

    /** Returns true if the account may serve a request now (status, cooldown, window, concurrency). */
    synchronized boolean isAvailable(long now, PoolPolicy policy) {
        rollOver(now, policy);
        return status == AccountStatus.ACTIVE && hasWindowRoom(policy) && hasConcurrencyRoom();
    }

    /**
     * Takes a slot if the account is available: counts the request in the window, marks it busy,
     * and starts the window cooldown when this request reaches the limit.
     */
    synchronized boolean tryAcquire(long now, PoolPolicy policy) {
        if (!isAvailable(now, policy)) {
            return false;
        }
        if (windowStart == 0) {
            windowStart = now;
        }
        windowCount++;
        inFlight++;
        totalRequests++;
        lastRequestAt = now;
        lastUsed = now;
        if (policy.perAccount() > 0 && windowCount >= policy.perAccount()) {
            // The seed's rule: reaching the limit starts a cooldown, after which the counter resets.
            coolDown(now + policy.cooldownMs(), "request limit of " + policy.perAccount() + " per "
                    + policy.windowMs() + " ms reached");
        }
        dirty = true;
        return true;
    }

    /** Ends a request that {@link #tryAcquire} admitted. */
    synchronized void release(boolean success) {
        inFlight = Math.max(0, inFlight - 1);
        if (success) {
            successfulRequests++;
        } else {
            failedRequests++;
        }
        dirty = true;
    }

    /** Starts or extends a cooldown; a shorter one never shortens the current one. */
    synchronized void coolDown(long until, String reason) {
        if (until > blockedUntil) {
            blockedUntil = until;
        }
        if (status == AccountStatus.ACTIVE || status == AccountStatus.RATE_LIMITED) {
            status = AccountStatus.RATE_LIMITED;
            statusReason = reason;
            statusDirty = true;
        }
        rateLimitHits++;
        dirty = true;
    }

    /** Marks the credential unusable; it stays so until an operator changes it. */
    synchronized void invalidate(String reason) {
        status = AccountStatus.INVALID;
        statusReason = reason;
        statusDirty = true;
        dirty = true;
    }

    /** Clears the window and any cooldown (the seed's {@code resetRateLimits}). */
    synchronized void resetRateLimit(long now) {
        windowCount = 0;
        windowStart = now;
        blockedUntil = 0;
        if (status == AccountStatus.RATE_LIMITED) {
            status = AccountStatus.ACTIVE;
            statusReason = null;
            statusDirty = true;
        }
        dirty = true;
    }

    /**
     * Returns milliseconds until the account can serve again: 0 if now, {@link #NEVER} if it will
     * not free up on its own.
     */
    synchronized long millisUntilAvailable(long now, PoolPolicy policy) {
        rollOver(now, policy);
        if (status == AccountStatus.RATE_LIMITED) {
            return Math.max(1, blockedUntil - now);
        }
        if (status != AccountStatus.ACTIVE) {
            return NEVER;
        }
        if (!hasWindowRoom(policy)) {
            return Math.max(1, windowStart + policy.windowMs() - now);
        }
        return hasConcurrencyRoom() ? 0 : BUSY_RETRY_MS;
    }

    /**
     * Returns when the account's availability or counters change with time alone (its cooldown
     * ends, or its window rolls over), or {@link #NEVER}.
     */
    synchronized long nextChangeAt(PoolPolicy policy) {
        if (status == AccountStatus.RATE_LIMITED) {
            return blockedUntil;
        }
        // A zero-length window (rateLimit.windowMs = 0) rolls over at every look; nothing to wait for.
        if (status == AccountStatus.ACTIVE && windowStart != 0 && policy.windowMs() > 0) {
            return windowStart + Math.min(policy.windowMs(), NEVER - windowStart);
        }
        return NEVER;
    }

    /**
     * Returns the account's secrets in plain text, decrypting them only when its ciphertexts changed
     * since the last call (a new key, an edited credential).
     *
     * @throws io.rotor.api.RotorException from {@code decrypt} if a secret does not decrypt
     */
    synchronized Map<String, String> plainSecrets(Function<Account, Map<String, String>> decrypt) {
        Map<String, String> ciphertexts = account.secrets();
        if (plainSecrets == null || !ciphertexts.equals(plainSecretsOf)) {
            plainSecrets = Map.copyOf(decrypt.apply(account));
            plainSecretsOf = ciphertexts;
        }
        return plainSecrets;
    }

    synchronized Candidate candidate() {
        return new Candidate(account.id(), account.upstream(), account.priority(), account.weight(), account.tags(),
                status, windowCount, totalRequests, lastUsed, inFlight, account.maxConcurrent(), order, latencyMs);
    }

    /** Folds one upstream call's latency into the moving average strategies see as {@link Candidate#latencyMs()}. */
    synchronized void recordLatency(long nanos) {
        double millis = nanos / 1_000_000.0;
        latencyMs = Double.isNaN(latencyMs) ? millis : latencyMs + LATENCY_WEIGHT * (millis - latencyMs);
    }

    /** Returns the stored definition with the live statistics and limiter state. */
    synchronized Account snapshot() {
        return account.withStatus(status, statusReason).withRuntime(stats(), rateLimit(), instant(lastUsed));
    }

    /** Returns what changed since the last flush and clears the dirty mark, or null if nothing changed. */
    synchronized AccountRuntime drainRuntime() {
        if (!dirty) {
            return null;
        }
        dirty = false;
        AccountStatus changedStatus = statusDirty ? status : null;
        if (statusDirty) {
            storedStatus = status;
            statusDirty = false;
        }
        return new AccountRuntime(account.id(), changedStatus, statusReason, instant(lastUsed), stats(), rateLimit());
    }

    /** Marks a drained change as not written, so the next flush tries again. */
    synchronized void markUnflushed(boolean statusChanged) {
        dirty = true;
        statusDirty |= statusChanged;
    }

    synchronized AccountStatus status() {
        return status;
    }

    synchronized int inFlight() {
        return inFlight;
    }

    private void rollOver(long now, PoolPolicy policy) {
        if (status == AccountStatus.RATE_LIMITED && blockedUntil <= now) {
            status = AccountStatus.ACTIVE;
            statusReason = null;
            statusDirty = true;
            windowCount = 0;
            windowStart = now;
            dirty = true;
        } else if (windowStart != 0 && now - windowStart >= policy.windowMs()) {
            windowCount = 0;
            windowStart = now;
        }
    }

    private boolean hasWindowRoom(PoolPolicy policy) {
        return policy.perAccount() == 0 || windowCount < policy.perAccount();
    }

    private boolean hasConcurrencyRoom() {
        return account.maxConcurrent() == 0 || inFlight < account.maxConcurrent();
    }

    private AccountStats stats() {
        return new AccountStats(totalRequests, successfulRequests, failedRequests, rateLimitHits,
                instant(lastRequestAt));
    }

    private RateLimitState rateLimit() {
        return new RateLimitState(windowCount, instant(windowStart), instant(blockedUntil));
    }

    private static long millis(Instant instant) {
        return instant == null ? 0 : instant.toEpochMilli();
    }

    private static Instant instant(long millis) {
        return millis == 0 ? null : Instant.ofEpochMilli(millis);
    }
}
