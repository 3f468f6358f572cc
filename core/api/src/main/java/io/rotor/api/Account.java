package io.rotor.api;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One credential for one upstream, as stored.
 *
 * <p>{@code secrets} maps a secret field name ({@link #SECRET_API_KEY}, {@link #SECRET_PASSWORD},
 * {@link #SECRET_CREDENTIAL}) to its ciphertext as produced by {@link SecretCipher}; plaintext
 * secrets never live in this record. {@code email} is not a secret (the seed stores it in
 * plain text) but is masked wherever it is shown.
 *
 * @param upstream name of the upstream this account belongs to (a key of {@code upstream.NAME.*})
 * @param pool the pool the account serves; never null
 * @param statusReason why the account is not active (for example "credential rejected (401)"), or null
 * @param encryptionKeyId fingerprint of the key that encrypted {@code secrets}, or null for seed ciphertexts
 * @param maxConcurrent requests allowed in flight at once; 0 means unlimited
 */
public record Account(
        String id,
        String upstream,
        String pool,
        String name,
        AccountStatus status,
        String statusReason,
        int priority,
        int weight,
        List<String> tags,
        int maxConcurrent,
        Instant createdAt,
        Instant lastUsed,
        String email,
        Map<String, String> secrets,
        String encryptionKeyId,
        AccountStats stats,
        RateLimitState rateLimit) {

    public static final String SECRET_API_KEY = "apiKey";
    public static final String SECRET_PASSWORD = "password";
    public static final String SECRET_CREDENTIAL = "credential";
    public static final String DEFAULT_POOL = "default";

    public Account {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(upstream, "upstream");
        pool = pool == null || pool.isBlank() ? DEFAULT_POOL : pool;
        status = status == null ? AccountStatus.ACTIVE : status;
        weight = Math.max(weight, 0);
        tags = tags == null ? List.of() : List.copyOf(tags);
        maxConcurrent = Math.max(maxConcurrent, 0);
        secrets = secrets == null ? Map.of() : Map.copyOf(secrets);
        stats = stats == null ? AccountStats.EMPTY : stats;
        rateLimit = rateLimit == null ? RateLimitState.EMPTY : rateLimit;
    }

    public Account withStatus(AccountStatus newStatus, String reason) {
        return new Account(id, upstream, pool, name, newStatus, reason, priority, weight, tags, maxConcurrent,
                createdAt, lastUsed, email, secrets, encryptionKeyId, stats, rateLimit);
    }

    public Account withSecrets(Map<String, String> newSecrets, String keyId) {
        return new Account(id, upstream, pool, name, status, statusReason, priority, weight, tags, maxConcurrent,
                createdAt, lastUsed, email, newSecrets, keyId, stats, rateLimit);
    }

    public Account withRuntime(AccountStats newStats, RateLimitState newRateLimit, Instant newLastUsed) {
        return new Account(id, upstream, pool, name, status, statusReason, priority, weight, tags, maxConcurrent,
                createdAt, newLastUsed, email, secrets, encryptionKeyId, newStats, newRateLimit);
    }

    /** Returns the email masked as the seed does ({@code abc***@example.com}), or null. */
    public String maskedEmail() {
        return maskEmail(email);
    }

    /** Masks an email as {@code abc***@example.com}; returns null for null. */
    public static String maskEmail(String email) {
        if (email == null) {
            return null;
        }
        int at = email.indexOf('@');
        String local = at < 0 ? email : email.substring(0, at);
        String domain = at < 0 ? "" : email.substring(at);
        return local.substring(0, Math.min(3, local.length())) + "***" + domain;
    }

    /** Returns a display name: the name, else the masked email, else the id. */
    public String displayName() {
        if (name != null && !name.isBlank()) {
            return name;
        }
        return email != null ? maskedEmail() : id;
    }

    @Override
    public String toString() {
        // Never print secrets or the plain email, even by accident in a log line.
        return "Account[id=" + id + ", upstream=" + upstream + ", pool=" + pool + ", status=" + status + "]";
    }
}
