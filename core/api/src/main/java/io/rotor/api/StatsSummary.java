package io.rotor.api;

import java.util.List;

/** Statistics over a set of accounts (the seed's {@code getStatistics()}). */
public record StatsSummary(int totalAccounts, int activeAccounts, long totalRequests, long successfulRequests,
        long failedRequests, long rateLimitHits) {

    public static StatsSummary of(List<Account> accounts) {
        int active = 0;
        long total = 0;
        long ok = 0;
        long failed = 0;
        long limited = 0;
        for (Account account : accounts) {
            if (account.status() == AccountStatus.ACTIVE) {
                active++;
            }
            total += account.stats().totalRequests();
            ok += account.stats().successfulRequests();
            failed += account.stats().failedRequests();
            limited += account.stats().rateLimitHits();
        }
        return new StatsSummary(accounts.size(), active, total, ok, failed, limited);
    }

    /** Share of successful requests in [0, 1]; 0 when there were none. */
    public double successRate() {
        return totalRequests == 0 ? 0 : (double) successfulRequests / totalRequests;
    }
}
