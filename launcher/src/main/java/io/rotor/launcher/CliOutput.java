package io.rotor.launcher;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rotor.api.Account;
import io.rotor.api.User;
import java.time.Instant;
import java.util.List;

/** Renders accounts and users for the CLI: the contract's JSON objects, or aligned tables. Never a secret. */
final class CliOutput {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private CliOutput() {
    }

    static String accountsJson(List<Account> accounts) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode data = root.putArray("data");
        accounts.forEach(account -> data.add(accountNode(account)));
        return write(root);
    }

    static ObjectNode accountNode(Account account) {
        ObjectNode node = JSON.createObjectNode();
        node.put("id", account.id());
        node.put("upstream", account.upstream());
        node.put("pool", account.pool());
        node.put("name", account.name());
        if (account.email() != null) {
            node.put("email", account.maskedEmail());
        }
        node.put("status", account.status().wireName());
        if (account.statusReason() != null) {
            node.put("statusReason", account.statusReason());
        }
        node.put("priority", account.priority());
        node.put("weight", account.weight());
        ArrayNode tags = node.putArray("tags");
        account.tags().forEach(tags::add);
        node.put("maxConcurrent", account.maxConcurrent());
        node.put("createdAt", text(account.createdAt()));
        node.put("lastUsed", text(account.lastUsed()));
        ObjectNode stats = node.putObject("stats");
        stats.put("totalRequests", account.stats().totalRequests());
        stats.put("successfulRequests", account.stats().successfulRequests());
        stats.put("failedRequests", account.stats().failedRequests());
        stats.put("rateLimitHits", account.stats().rateLimitHits());
        stats.put("lastRequestAt", text(account.stats().lastRequestAt()));
        ObjectNode rateLimit = node.putObject("rateLimit");
        rateLimit.put("requestsThisWindow", account.rateLimit().requestsThisWindow());
        rateLimit.put("windowStart", text(account.rateLimit().windowStart()));
        rateLimit.put("blockedUntil", text(account.rateLimit().blockedUntil()));
        return node;
    }

    static String usersJson(List<User> users) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode data = root.putArray("data");
        users.forEach(user -> data.addObject().put("id", user.id()).put("name", user.name()).put("pool", user.pool())
                .put("createdAt", text(user.createdAt())));
        return write(root);
    }

    static String accountsTable(List<Account> accounts, boolean stats) {
        Table table = stats
                ? new Table("ID", "UPSTREAM", "POOL", "NAME", "STATUS", "REQUESTS", "OK", "FAILED", "429s", "SUCCESS")
                : new Table("ID", "UPSTREAM", "POOL", "NAME", "STATUS", "PRIORITY", "WEIGHT", "TAGS");
        for (Account a : accounts) {
            if (stats) {
                table.row(a.id(), a.upstream(), a.pool(), a.displayName(), a.status().wireName(),
                        a.stats().totalRequests(), a.stats().successfulRequests(), a.stats().failedRequests(),
                        a.stats().rateLimitHits(), String.format("%.1f%%", a.stats().successRate() * 100));
            } else {
                table.row(a.id(), a.upstream(), a.pool(), a.displayName(), a.status().wireName(), a.priority(),
                        a.weight(), String.join(",", a.tags()));
            }
        }
        return table.render(accounts.isEmpty() ? "No accounts." : null);
    }

    static String usersTable(List<User> users) {
        Table table = new Table("ID", "NAME", "POOL", "CREATED");
        users.forEach(u -> table.row(u.id(), u.name(), u.pool(), text(u.createdAt())));
        return table.render(users.isEmpty() ? "No users." : null);
    }

    private static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }

    private static String write(Object node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot render JSON", e);
        }
    }

    /** A plain left-aligned text table. */
    private static final class Table {
        private final List<String> header;
        private final java.util.ArrayList<List<String>> rows = new java.util.ArrayList<>();

        Table(String... header) {
            this.header = List.of(header);
        }

        void row(Object... cells) {
            rows.add(java.util.Arrays.stream(cells).map(c -> c == null ? "-" : String.valueOf(c)).toList());
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
            for (int i = 0; i < cells.size(); i++) {
                out.append(String.format("%-" + widths[i] + "s", cells.get(i)));
                out.append(i + 1 < cells.size() ? "  " : "\n");
            }
        }
    }
}
