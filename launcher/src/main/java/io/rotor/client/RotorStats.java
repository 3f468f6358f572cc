package io.rotor.client;

import io.rotor.api.Account;
import io.rotor.api.AccountStats;
import io.rotor.api.AccountStatus;
import io.rotor.api.StatsSummary;
import java.util.List;

/**
 * Statistics of every account of the engine, as {@code rotor accounts stats} shows them.
 *
 * @param totals the sums over all accounts
 * @param accounts one entry per account, in the pools' stable order
 */
public record RotorStats(StatsSummary totals, List<AccountEntry> accounts) {

    public RotorStats {
        accounts = List.copyOf(accounts);
    }

    /** One account's statistics; no secret and no email. */
    public record AccountEntry(String id, String name, String upstream, String pool, AccountStatus status,
            AccountStats stats) {
    }

    static RotorStats of(List<Account> accounts) {
        return new RotorStats(StatsSummary.of(accounts), accounts.stream()
                .map(account -> new AccountEntry(account.id(), account.displayName(), account.upstream(), account.pool(),
                        account.status(), account.stats()))
                .toList());
    }
}
