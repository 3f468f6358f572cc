package io.rotor.api;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The contract's JSON objects (DESIGN §4) as plain maps, for every place that shows Rotor's objects:
 * the admin API, exports and the CLI's {@code --json}. None of them ever contains a secret.
 */
public final class Views {

    private Views() {
    }

    /**
     * The account object. The email is masked ({@code abc***@example.com}) unless {@code revealEmail}.
     */
    public static Map<String, Object> account(Account account, boolean revealEmail) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", account.id());
        view.put("upstream", account.upstream());
        view.put("pool", account.pool());
        view.put("name", account.name());
        if (account.email() != null) {
            view.put("email", revealEmail ? account.email() : account.maskedEmail());
        }
        view.put("status", account.status().wireName());
        view.put("statusReason", account.statusReason());
        view.put("priority", account.priority());
        view.put("weight", account.weight());
        view.put("tags", account.tags());
        view.put("maxConcurrent", account.maxConcurrent());
        view.put("createdAt", text(account.createdAt()));
        view.put("lastUsed", text(account.lastUsed()));
        view.put("stats", stats(account.stats()));
        Map<String, Object> rateLimit = new LinkedHashMap<>();
        rateLimit.put("requestsThisWindow", account.rateLimit().requestsThisWindow());
        rateLimit.put("windowStart", text(account.rateLimit().windowStart()));
        rateLimit.put("blockedUntil", text(account.rateLimit().blockedUntil()));
        view.put("rateLimit", rateLimit);
        return view;
    }

    public static Map<String, Object> stats(AccountStats stats) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("totalRequests", stats.totalRequests());
        view.put("successfulRequests", stats.successfulRequests());
        view.put("failedRequests", stats.failedRequests());
        view.put("rateLimitHits", stats.rateLimitHits());
        view.put("successRate", round(stats.successRate()));
        view.put("lastRequestAt", text(stats.lastRequestAt()));
        return view;
    }

    /** The user object; the key is never part of it. */
    public static Map<String, Object> user(User user) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", user.id());
        view.put("name", user.name());
        view.put("pool", user.pool());
        view.put("createdAt", text(user.createdAt()));
        return view;
    }

    public static Map<String, Object> pool(PoolInfo pool) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("name", pool.name());
        view.put("strategy", pool.strategy());
        view.put("activeStrategy", pool.activeStrategy());
        view.put("note", pool.note());
        view.put("perAccount", pool.perAccount());
        view.put("windowMs", pool.windowMs());
        view.put("cooldownMs", pool.cooldownMs());
        view.put("maxRetries", pool.maxRetries());
        view.put("accounts", pool.accounts());
        view.put("available", pool.available());
        view.put("users", pool.users());
        return view;
    }

    /** Totals plus the per-account statistics (the seed's {@code accounts-cli stats}). */
    public static Map<String, Object> statistics(List<Account> accounts) {
        StatsSummary summary = StatsSummary.of(accounts);
        Map<String, Object> totals = new LinkedHashMap<>();
        totals.put("totalAccounts", summary.totalAccounts());
        totals.put("activeAccounts", summary.activeAccounts());
        totals.put("totalRequests", summary.totalRequests());
        totals.put("successfulRequests", summary.successfulRequests());
        totals.put("failedRequests", summary.failedRequests());
        totals.put("rateLimitHits", summary.rateLimitHits());
        totals.put("successRate", round(summary.successRate()));
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("totals", totals);
        view.put("accounts", accounts.stream().map(account -> {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", account.id());
            row.put("name", account.displayName());
            row.put("pool", account.pool());
            row.put("status", account.status().wireName());
            row.put("stats", stats(account.stats()));
            return row;
        }).toList());
        return view;
    }

    /** Wraps a list as the contract's {@code {"data": [...]}}. */
    public static Map<String, Object> list(List<?> items) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("data", items);
        return view;
    }

    private static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }

    private static double round(double share) {
        return Math.round(share * 10_000) / 10_000.0;
    }
}
