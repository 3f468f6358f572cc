package io.rotor.launcher;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.rotor.api.Account;
import io.rotor.api.AccountStats;
import io.rotor.api.AccountStatus;
import io.rotor.api.PoolInfo;
import io.rotor.api.StatsSummary;
import io.rotor.api.User;
import io.rotor.api.Views;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Renders Rotor's objects for the CLI: {@code --json} prints the contract's objects from {@link Views}
 * (the same ones the admin API sends), otherwise aligned text tables. Neither ever holds a secret.
 */
final class CliOutput {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private CliOutput() {
    }

    /** Prints a view (a map or list from {@link Views}) as indented JSON. */
    static String json(Object view) {
        try {
            return JSON.writeValueAsString(view);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render JSON", e);
        }
    }

    static String accountsJson(List<Account> accounts) {
        return json(Views.list(accounts.stream().map(account -> Views.account(account, false)).toList()));
    }

    static String usersJson(List<User> users) {
        return json(Views.list(users.stream().map(Views::user).toList()));
    }

    static String poolsJson(List<PoolInfo> pools) {
        return json(Views.list(pools.stream().map(Views::pool).toList()));
    }

    static String statisticsJson(List<Account> accounts) {
        return json(Views.statistics(accounts));
    }

    static String accountsTable(List<Account> accounts, boolean stats) {
        Table table = stats
                ? new Table("ID", "UPSTREAM", "POOL", "NAME", "STATUS", "REQUESTS", "OK", "FAILED", "429s", "SUCCESS")
                : new Table("ID", "UPSTREAM", "POOL", "NAME", "STATUS", "PRIORITY", "WEIGHT", "TAGS");
        for (Account a : accounts) {
            if (stats) {
                AccountStats s = a.stats();
                table.row(a.id(), a.upstream(), a.pool(), a.displayName(), a.status().wireName(), s.totalRequests(),
                        s.successfulRequests(), s.failedRequests(), s.rateLimitHits(), percent(s.successRate()));
            } else {
                table.row(a.id(), a.upstream(), a.pool(), a.displayName(), a.status().wireName(), a.priority(),
                        a.weight(), String.join(",", a.tags()));
            }
        }
        List<String> notes = accounts.stream()
                .filter(a -> a.status() == AccountStatus.INVALID && a.statusReason() != null)
                .map(a -> a.id() + " is invalid: " + a.statusReason()).toList();
        String rendered = table.render(accounts.isEmpty() ? "No accounts." : null);
        return notes.isEmpty() ? rendered : rendered + "\n" + String.join("\n", notes);
    }

    /** The seed's {@code accounts-cli stats}: one row per account, then the totals. */
    static String statisticsTable(List<Account> accounts) {
        Table table = new Table("ID", "NAME", "POOL", "STATUS", "REQUESTS", "OK", "FAILED", "429s", "SUCCESS");
        for (Account a : accounts) {
            AccountStats s = a.stats();
            table.row(a.id(), a.displayName(), a.pool(), a.status().wireName(), s.totalRequests(),
                    s.successfulRequests(), s.failedRequests(), s.rateLimitHits(), percent(s.successRate()));
        }
        StatsSummary total = StatsSummary.of(accounts);
        table.row("total", total.totalAccounts() + " accounts", "", total.activeAccounts() + " active",
                total.totalRequests(), total.successfulRequests(), total.failedRequests(), total.rateLimitHits(),
                percent(total.successRate()));
        return table.render(null);
    }

    static String usersTable(List<User> users) {
        Table table = new Table("ID", "NAME", "POOL", "CREATED");
        users.forEach(u -> table.row(u.id(), u.name(), u.pool(), text(u.createdAt())));
        return table.render(users.isEmpty() ? "No users." : null);
    }

    static String poolsTable(List<PoolInfo> pools) {
        Table table = new Table("POOL", "STRATEGY", "PER-ACCOUNT", "WINDOW-MS", "COOLDOWN-MS", "RETRIES", "ACCOUNTS",
                "AVAILABLE", "USERS");
        List<String> notes = new ArrayList<>();
        for (PoolInfo p : pools) {
            table.row(p.name(), p.activeStrategy().equals(p.strategy()) ? p.strategy()
                    : p.strategy() + " (using " + p.activeStrategy() + ")", p.perAccount() == 0 ? "unlimited"
                    : p.perAccount(), p.windowMs(), p.cooldownMs(), p.maxRetries(), p.accounts(), p.available(),
                    p.users());
            if (p.note() != null) {
                notes.add("Pool " + p.name() + ": " + p.note() + ".");
            }
        }
        String rendered = table.render(null);
        return notes.isEmpty() ? rendered : rendered + "\n" + String.join("\n", notes);
    }

    private static String percent(double share) {
        return String.format("%.1f%%", share * 100);
    }

    private static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }

    /** A plain left-aligned text table. */
    private static final class Table {
        private final List<String> header;
        private final List<List<String>> rows = new ArrayList<>();

        Table(String... header) {
            this.header = List.of(header);
        }

        void row(Object... cells) {
            rows.add(Arrays.stream(cells).map(c -> c == null ? "-" : String.valueOf(c)).toList());
        }

        String render(String emptyMessage) {
            if (emptyMessage != null) {
                return emptyMessage;
            }
            int[] widths = new int[header.size()];
            for (int i = 0; i < widths.length; i++) {
                widths[i] = header.get(i).length();
                for (List<String> row : rows) {
                    widths[i] = Math.max(widths[i], row.get(i).length());
                }
            }
            StringBuilder out = new StringBuilder();
            append(out, header, widths);
            rows.forEach(row -> append(out, row, widths));
            return out.toString().stripTrailing();
        }

        private static void append(StringBuilder out, List<String> cells, int[] widths) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < cells.size(); i++) {
                line.append(String.format("%-" + widths[i] + "s", cells.get(i)));
                if (i + 1 < cells.size()) {
                    line.append("  ");
                }
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
    }
}
