package io.rotor.core.engine.internal;

import io.rotor.api.AccountStatus;
import io.rotor.api.AccountUpdate;
import io.rotor.api.NewAccount;
import io.rotor.api.PoolUpdate;
import io.rotor.api.RotorException;
import java.util.List;
import java.util.regex.Pattern;

/** Limits on administrative input, checked before anything changes (the same for the CLI and the API). */
final class InputRules {

    static final int MAX_NAME = 200;
    static final int MAX_TAGS = 32;
    static final int MAX_TAG = 64;
    static final int MAX_EMAIL = 320;
    static final int MAX_SECRET = 64 * 1024;
    static final int MAX_PRIORITY = 1_000_000;
    static final int MAX_WEIGHT = 1_000_000;
    static final int MAX_CONCURRENT = 100_000;
    /** A named cap on attempts per request, whatever a pool asks for. */
    static final int MAX_RETRIES_LIMIT = 10;
    static final long MAX_WINDOW_MS = 7L * 24 * 3600 * 1000;
    private static final Pattern POOL_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern STRATEGY_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private InputRules() {
    }

    static void check(NewAccount account) {
        name(account.name());
        pool(account.pool());
        tags(account.tags());
        range("priority", account.priority(), -MAX_PRIORITY, MAX_PRIORITY);
        range("weight", account.weight(), 0, MAX_WEIGHT);
        range("maxConcurrent", account.maxConcurrent(), 0, MAX_CONCURRENT);
        if (account.email() != null && (account.email().length() > MAX_EMAIL || !account.email().contains("@"))) {
            throw RotorException.badParam("email", "'email' must be an email address of at most " + MAX_EMAIL
                    + " characters.");
        }
        account.secrets().forEach((field, value) -> {
            if (value != null && value.length() > MAX_SECRET) {
                throw RotorException.badParam(field, "'" + field + "' must not exceed " + MAX_SECRET + " characters.");
            }
        });
    }

    static void check(AccountUpdate update) {
        if (update.isEmpty()) {
            throw RotorException.badParam(null, "Nothing to change.");
        }
        name(update.name());
        pool(update.pool());
        tags(update.tags());
        range("priority", update.priority(), -MAX_PRIORITY, MAX_PRIORITY);
        range("weight", update.weight(), 0, MAX_WEIGHT);
        range("maxConcurrent", update.maxConcurrent(), 0, MAX_CONCURRENT);
        if (update.status() == AccountStatus.RATE_LIMITED || update.status() == AccountStatus.INVALID) {
            throw RotorException.badParam("status", "'status' may be set to active, inactive or blocked; "
                    + "rate-limited and invalid are set by Rotor.");
        }
    }

    static void check(PoolUpdate update) {
        if (update.isEmpty()) {
            throw RotorException.badParam(null, "Nothing to change.");
        }
        if (update.strategy() != null && !STRATEGY_NAME.matcher(update.strategy()).matches()) {
            throw RotorException.badParam("strategy", "'strategy' must be a strategy name (letters, digits, . _ -).");
        }
        range("perAccount", update.perAccount(), 0, Integer.MAX_VALUE);
        rangeLong("windowMs", update.windowMs(), 1, MAX_WINDOW_MS);
        rangeLong("cooldownMs", update.cooldownMs(), 0, MAX_WINDOW_MS);
        range("maxRetries", update.maxRetries(), 0, MAX_RETRIES_LIMIT);
    }

    static void pool(String pool) {
        if (pool != null && !POOL_NAME.matcher(pool).matches()) {
            throw RotorException.badParam("pool", "'pool' must be 1 to 64 letters, digits, '.', '_' or '-'.");
        }
    }

    static void name(String name) {
        if (name != null && name.length() > MAX_NAME) {
            throw RotorException.badParam("name", "'name' must be at most " + MAX_NAME + " characters.");
        }
    }

    private static void tags(List<String> tags) {
        if (tags == null) {
            return;
        }
        if (tags.size() > MAX_TAGS) {
            throw RotorException.badParam("tags", "At most " + MAX_TAGS + " tags.");
        }
        for (String tag : tags) {
            if (tag == null || tag.isBlank() || tag.length() > MAX_TAG) {
                throw RotorException.badParam("tags", "Each tag must be 1 to " + MAX_TAG + " characters.");
            }
        }
    }

    private static void range(String param, Integer value, int min, int max) {
        if (value != null && (value < min || value > max)) {
            throw RotorException.badParam(param, "'" + param + "' must be between " + min + " and " + max + ".");
        }
    }

    private static void rangeLong(String param, Long value, long min, long max) {
        if (value != null && (value < min || value > max)) {
            throw RotorException.badParam(param, "'" + param + "' must be between " + min + " and " + max + ".");
        }
    }
}
