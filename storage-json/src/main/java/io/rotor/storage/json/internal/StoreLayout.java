package io.rotor.storage.json.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rotor.api.Account;
import io.rotor.api.AccountRuntime;
import io.rotor.api.AccountStats;
import io.rotor.api.AccountStatus;
import io.rotor.api.Pool;
import io.rotor.api.RateLimitState;
import io.rotor.api.StoreSnapshot;
import io.rotor.api.User;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The seed's {@code accounts.json} layout, extended by Rotor, mapped to and from the API records.
 *
 * <p>Writes overlay the known fields onto the nodes read from the file, so fields Rotor does not
 * know (written by the seed tool or a newer Rotor) survive a rewrite.
 */
final class StoreLayout {

    /** Seed files name no upstream: every account in them is a K2 Think account. */
    static final String DEFAULT_UPSTREAM = "k2think";
    static final String FORMAT_VERSION = "1.0";
    static final String ENCRYPTION_METHOD = "aes-256-gcm";

    private static final List<String> SECRET_FIELDS =
            List.of(Account.SECRET_PASSWORD, Account.SECRET_API_KEY, Account.SECRET_CREDENTIAL);
    /** The seed uses JavaScript's {@code Date.toISOString()}: always milliseconds and {@code Z}. */
    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final Pattern INTEGER = Pattern.compile("-?\\d{1,18}");
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private StoreLayout() {
    }

    /** A store file whose JSON is valid but whose content does not fit the layout. */
    static final class LayoutException extends RuntimeException {
        LayoutException(String message) {
            super(message);
        }
    }

    /** Returns the root of a store that has no file yet. */
    static ObjectNode emptyRoot() {
        ObjectNode root = NODES.objectNode();
        root.put("version", FORMAT_VERSION);
        root.putNull("createdAt");
        root.putNull("updatedAt");
        root.putArray("accounts");
        root.putObject("settings");
        return root;
    }

    /** Stamps a root that is about to be written. */
    static void touch(ObjectNode root, Instant now) {
        if (!root.hasNonNull("version")) {
            root.put("version", FORMAT_VERSION);
        }
        if (!root.hasNonNull("createdAt")) {
            root.put("createdAt", format(now));
        }
        root.put("updatedAt", format(now));
    }

    // ---- reading ----

    static StoreSnapshot snapshot(ObjectNode root, long revision) {
        List<Account> accounts = new ArrayList<>();
        Map<String, String> names = new HashMap<>();
        ArrayNode accountNodes = array(root, "accounts", "the top level");
        for (int i = 0; i < accountNodes.size(); i++) {
            accounts.add(readAccount(object(accountNodes.get(i), "accounts[" + i + "]"), "accounts[" + i + "]", names));
        }
        List<User> users = new ArrayList<>();
        ArrayNode userNodes = array(root, "users", "the top level");
        for (int i = 0; i < userNodes.size(); i++) {
            users.add(readUser(object(userNodes.get(i), "users[" + i + "]"), "users[" + i + "]"));
        }
        List<Pool> pools = new ArrayList<>();
        ArrayNode poolNodes = array(root, "pools", "the top level");
        for (int i = 0; i < poolNodes.size(); i++) {
            pools.add(readPool(object(poolNodes.get(i), "pools[" + i + "]"), "pools[" + i + "]"));
        }
        return new StoreSnapshot(accounts, users, pools, readSettings(root), revision);
    }

    private static Account readAccount(ObjectNode node, String where, Map<String, String> names) {
        String id = requiredText(node, "id", where);
        where = "account " + id;
        ObjectNode metadata = optionalObject(node, "metadata", where);
        ObjectNode stats = optionalObject(node, "stats", where);
        ObjectNode rateLimit = optionalObject(node, "rateLimit", where);
        Map<String, String> secrets = new HashMap<>();
        for (String field : SECRET_FIELDS) {
            String ciphertext = text(node, field, where);
            if (ciphertext != null) {
                secrets.put(field, ciphertext);
            }
        }
        String upstream = text(node, "upstream", where);
        String pool = text(node, "pool", where);
        // Names that thousands of accounts repeat share one string, which stays in the processor's cache.
        return new Account(
                id,
                upstream == null || upstream.isBlank() ? DEFAULT_UPSTREAM : names.computeIfAbsent(upstream, n -> n),
                pool == null ? null : names.computeIfAbsent(pool, n -> n),
                metadata == null ? null : text(metadata, "name", where + " metadata"),
                status(node, where),
                text(node, "statusReason", where),
                (int) number(node, "priority", 1, where),
                (int) number(node, "weight", 1, where),
                metadata == null ? List.of() : stringList(metadata, "tags", where + " metadata"),
                (int) number(node, "maxConcurrent", 0, where),
                instant(node, "createdAt", where),
                instant(node, "lastUsed", where),
                text(node, "email", where),
                secrets,
                text(node, "encryptionKeyId", where),
                stats == null ? AccountStats.EMPTY : new AccountStats(
                        number(stats, "totalRequests", 0, where + " stats"),
                        number(stats, "successfulRequests", 0, where + " stats"),
                        number(stats, "failedRequests", 0, where + " stats"),
                        number(stats, "rateLimitHits", 0, where + " stats"),
                        instant(stats, "lastRequestAt", where + " stats")),
                rateLimit == null ? RateLimitState.EMPTY : new RateLimitState(
                        (int) number(rateLimit, "requestsThisMinute", 0, where + " rateLimit"),
                        instant(rateLimit, "windowStart", where + " rateLimit"),
                        instant(rateLimit, "blockedUntil", where + " rateLimit")));
    }

    private static AccountStatus status(ObjectNode node, String where) {
        String status = text(node, "status", where);
        if (status == null) {
            return AccountStatus.ACTIVE;
        }
        try {
            return AccountStatus.parse(status);
        } catch (IllegalArgumentException e) {
            throw new LayoutException(where + ": " + e.getMessage());
        }
    }

    private static User readUser(ObjectNode node, String where) {
        String id = requiredText(node, "id", where);
        where = "user " + id;
        return new User(id, text(node, "name", where), requiredText(node, "keyHash", where),
                text(node, "pool", where), instant(node, "createdAt", where));
    }

    private static Pool readPool(ObjectNode node, String where) {
        String name = requiredText(node, "name", where);
        where = "pool " + name;
        return new Pool(name, text(node, "strategy", where),
                optionalInt(node, "perAccount", where), optionalLong(node, "windowMs", where),
                optionalLong(node, "cooldownMs", where), optionalInt(node, "maxRetries", where));
    }

    private static Map<String, String> readSettings(ObjectNode root) {
        ObjectNode settings = optionalObject(root, "settings", "the top level");
        Map<String, String> values = new LinkedHashMap<>();
        if (settings != null) {
            settings.properties().forEach(entry -> {
                JsonNode value = entry.getValue();
                if (!value.isNull()) {
                    values.put(entry.getKey(), value.isValueNode() ? value.asText() : value.toString());
                }
            });
        }
        return values;
    }

    // ---- writing ----

    /**
     * Builds the root of a store holding exactly {@code content}, in its order.
     *
     * @throws LayoutException if two accounts, users or pools share an id or name
     */
    static ObjectNode rootOf(StoreSnapshot content) {
        requireUnique(content.accounts().stream().map(Account::id).toList(), "account");
        requireUnique(content.users().stream().map(User::id).toList(), "user");
        requireUnique(content.pools().stream().map(Pool::name).toList(), "pool");
        ObjectNode root = emptyRoot();
        // Appended without a lookup by id: the ids are known to be unique, and 10,000 lookups would be quadratic.
        ArrayNode accounts = root.putArray("accounts");
        content.accounts().forEach(account -> writeAccount(accounts.addObject(), account));
        root.putArray("users");
        content.users().forEach(user -> putUser(root, user));
        root.putArray("pools");
        content.pools().forEach(pool -> putPool(root, pool));
        content.settings().forEach((key, value) -> putSetting(root, key, value));
        return root;
    }

    private static void requireUnique(List<String> keys, String kind) {
        Set<String> seen = new HashSet<>();
        for (String key : keys) {
            if (!seen.add(key)) {
                throw new LayoutException("the content holds two of " + kind + " '" + key + "'");
            }
        }
    }

    /** Inserts the account, or overlays it onto the stored account with the same id. */
    static void putAccount(ObjectNode root, Account account) {
        ArrayNode accounts = arrayForWrite(root, "accounts");
        int index = indexOf(accounts, "id", account.id());
        writeAccount(index >= 0 ? (ObjectNode) accounts.get(index) : accounts.addObject(), account);
    }

    /** Puts several accounts, finding existing ones through one index of the list instead of a scan each. */
    static void putAccounts(ObjectNode root, Collection<Account> accounts) {
        ArrayNode list = arrayForWrite(root, "accounts");
        Map<String, ObjectNode> byId = new HashMap<>();
        list.forEach(node -> byId.put(node.path("id").asText(), (ObjectNode) node));
        for (Account account : accounts) {
            ObjectNode node = byId.get(account.id());
            if (node == null) {
                node = list.addObject();
                byId.put(account.id(), node);
            }
            writeAccount(node, account);
        }
    }

    static boolean removeAccount(ObjectNode root, String id) {
        return remove(root, "accounts", "id", id);
    }

    static void putUser(ObjectNode root, User user) {
        ArrayNode users = arrayForWrite(root, "users");
        int index = indexOf(users, "id", user.id());
        putUser(root, user, index >= 0 ? (ObjectNode) users.get(index) : users.addObject());
    }

    private static void putUser(ObjectNode root, User user, ObjectNode node) {
        node.put("id", user.id());
        putOrRemove(node, "name", user.name());
        node.put("keyHash", user.keyHash());
        node.put("pool", user.pool());
        putOrRemove(node, "createdAt", format(user.createdAt()));
    }

    static void putUsers(ObjectNode root, Collection<User> users) {
        ArrayNode list = arrayForWrite(root, "users");
        Set<String> known = new HashSet<>();
        list.forEach(node -> known.add(node.path("id").asText()));
        for (User user : users) {
            if (known.contains(user.id())) {
                putUser(root, user);
            } else {
                known.add(user.id());
                ObjectNode node = list.addObject();
                node.put("id", user.id());
                putUser(root, user, node);
            }
        }
    }

    static boolean removeUser(ObjectNode root, String id) {
        return remove(root, "users", "id", id);
    }

    static void putPool(ObjectNode root, Pool pool) {
        ArrayNode pools = arrayForWrite(root, "pools");
        int index = indexOf(pools, "name", pool.name());
        ObjectNode node = index >= 0 ? (ObjectNode) pools.get(index) : pools.addObject();
        node.put("name", pool.name());
        putOrRemove(node, "strategy", pool.strategy());
        putOrRemove(node, "perAccount", pool.perAccount() == null ? null : NODES.numberNode(pool.perAccount()));
        putOrRemove(node, "windowMs", pool.windowMs() == null ? null : NODES.numberNode(pool.windowMs()));
        putOrRemove(node, "cooldownMs", pool.cooldownMs() == null ? null : NODES.numberNode(pool.cooldownMs()));
        putOrRemove(node, "maxRetries", pool.maxRetries() == null ? null : NODES.numberNode(pool.maxRetries()));
    }

    /**
     * Sets a setting, keeping the JSON type the file had for it: a number stays a number and a
     * boolean a boolean when the new text still reads as one; anything else is stored as a string.
     */
    static void putSetting(ObjectNode root, String key, String value) {
        ObjectNode settings = objectForWrite(root, "settings");
        if (value == null) {
            settings.remove(key);
            return;
        }
        JsonNode previous = settings.get(key);
        if (previous != null && previous.isBoolean() && (value.equals("true") || value.equals("false"))) {
            settings.put(key, Boolean.parseBoolean(value));
        } else if (previous != null && previous.isIntegralNumber() && INTEGER.matcher(value).matches()) {
            settings.put(key, Long.parseLong(value));
        } else if (previous != null && previous.isNumber() && isDecimal(value)) {
            settings.put(key, Double.parseDouble(value));
        } else {
            settings.put(key, value);
        }
    }

    /**
     * Overlays the traffic-driven fields onto the stored accounts; unknown ids are skipped.
     *
     * @return true if any account was updated
     */
    static boolean applyRuntime(ObjectNode root, Collection<AccountRuntime> runtimes) {
        ArrayNode accounts = array(root, "accounts", "the top level");
        Map<String, ObjectNode> byId = new HashMap<>();
        for (JsonNode node : accounts) {
            byId.put(node.path("id").asText(), (ObjectNode) node);
        }
        boolean changed = false;
        for (AccountRuntime runtime : runtimes) {
            ObjectNode node = byId.get(runtime.id());
            if (node == null) {
                continue;
            }
            if (runtime.stats() != null) {
                writeStats(objectForWrite(node, "stats"), runtime.stats());
            }
            if (runtime.rateLimit() != null) {
                writeRateLimit(objectForWrite(node, "rateLimit"), runtime.rateLimit());
            }
            putNullable(node, "lastUsed", runtime.lastUsed());
            if (runtime.status() != null) {
                node.put("status", runtime.status().wireName());
                putOrRemove(node, "statusReason", runtime.statusReason());
            }
            changed = true;
        }
        return changed;
    }

    private static void writeAccount(ObjectNode node, Account account) {
        // The order of first insertion is the order in the file; overlaid fields keep their place.
        node.put("id", account.id());
        node.put("upstream", account.upstream());
        node.put("pool", account.pool());
        putOrRemove(node, "email", account.email());
        for (String field : SECRET_FIELDS) {
            putOrRemove(node, field, account.secrets().get(field));
        }
        putOrRemove(node, "encryptionMethod", account.secrets().isEmpty() ? null : ENCRYPTION_METHOD);
        putOrRemove(node, "encryptionKeyId", account.encryptionKeyId());
        node.put("status", account.status().wireName());
        putOrRemove(node, "statusReason", account.statusReason());
        putNullable(node, "createdAt", account.createdAt());
        putNullable(node, "lastUsed", account.lastUsed());
        writeStats(objectForWrite(node, "stats"), account.stats());
        writeRateLimit(objectForWrite(node, "rateLimit"), account.rateLimit());
        node.put("priority", account.priority());
        node.put("weight", account.weight());
        node.put("maxConcurrent", account.maxConcurrent());
        ObjectNode metadata = objectForWrite(node, "metadata");
        putOrRemove(metadata, "name", account.name());
        ArrayNode tags = metadata.putArray("tags");
        account.tags().forEach(tags::add);
    }

    private static void writeStats(ObjectNode node, AccountStats stats) {
        node.put("totalRequests", stats.totalRequests());
        node.put("successfulRequests", stats.successfulRequests());
        node.put("failedRequests", stats.failedRequests());
        node.put("rateLimitHits", stats.rateLimitHits());
        putNullable(node, "lastRequestAt", stats.lastRequestAt());
    }

    private static void writeRateLimit(ObjectNode node, RateLimitState rateLimit) {
        node.put("requestsThisMinute", rateLimit.requestsThisWindow());
        putNullable(node, "windowStart", rateLimit.windowStart());
        putNullable(node, "blockedUntil", rateLimit.blockedUntil());
    }

    private static boolean remove(ObjectNode root, String arrayField, String keyField, String key) {
        ArrayNode array = array(root, arrayField, "the top level");
        int index = indexOf(array, keyField, key);
        if (index < 0) {
            return false;
        }
        array.remove(index);
        return true;
    }

    private static int indexOf(ArrayNode array, String keyField, String key) {
        for (int i = 0; i < array.size(); i++) {
            if (key.equals(array.get(i).path(keyField).asText(null))) {
                return i;
            }
        }
        return -1;
    }

    private static void putOrRemove(ObjectNode node, String field, String value) {
        if (value == null) {
            node.remove(field);
        } else {
            node.put(field, value);
        }
    }

    private static void putOrRemove(ObjectNode node, String field, JsonNode value) {
        if (value == null) {
            node.remove(field);
        } else {
            node.set(field, value);
        }
    }

    /** Seed fields are written as {@code null} when empty, as the seed tool does. */
    private static void putNullable(ObjectNode node, String field, Instant value) {
        if (value == null) {
            node.putNull(field);
        } else {
            node.put(field, format(value));
        }
    }

    private static ArrayNode arrayForWrite(ObjectNode node, String field) {
        JsonNode existing = node.get(field);
        return existing instanceof ArrayNode array ? array : node.putArray(field);
    }

    private static ObjectNode objectForWrite(ObjectNode node, String field) {
        JsonNode existing = node.get(field);
        return existing instanceof ObjectNode object ? object : node.putObject(field);
    }

    static String format(Instant instant) {
        return instant == null ? null : TIMESTAMP.format(instant);
    }

    // ---- field access that reports where the layout is broken ----

    private static ObjectNode object(JsonNode node, String where) {
        if (node instanceof ObjectNode object) {
            return object;
        }
        throw new LayoutException(where + " must be an object");
    }

    private static ObjectNode optionalObject(ObjectNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (value instanceof ObjectNode object) {
            return object;
        }
        throw new LayoutException(where + ": '" + field + "' must be an object");
    }

    private static ArrayNode array(ObjectNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return NODES.arrayNode();
        }
        if (value instanceof ArrayNode array) {
            return array;
        }
        throw new LayoutException(where + ": '" + field + "' must be an array");
    }

    private static String text(ObjectNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isValueNode()) {
            throw new LayoutException(where + ": '" + field + "' must be a string");
        }
        return value.asText();
    }

    private static String requiredText(ObjectNode node, String field, String where) {
        String value = text(node, field, where);
        if (value == null || value.isBlank()) {
            throw new LayoutException(where + " has no '" + field + "'");
        }
        return value;
    }

    private static long number(ObjectNode node, String field, long absent, String where) {
        Long value = optionalLong(node, field, where);
        return value == null ? absent : value;
    }

    private static Integer optionalInt(ObjectNode node, String field, String where) {
        Long value = optionalLong(node, field, where);
        if (value != null && (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE)) {
            throw new LayoutException(where + ": '" + field + "' is out of range");
        }
        return value == null ? null : value.intValue();
    }

    private static Long optionalLong(ObjectNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (value.isIntegralNumber() && value.canConvertToLong()) {
            return value.longValue();
        }
        if (value.isTextual() && INTEGER.matcher(value.textValue().trim()).matches()) {
            return Long.parseLong(value.textValue().trim());
        }
        throw new LayoutException(where + ": '" + field + "' must be an integer");
    }

    private static List<String> stringList(ObjectNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return List.of();
        }
        if (!value.isArray()) {
            throw new LayoutException(where + ": '" + field + "' must be an array of strings");
        }
        List<String> values = new ArrayList<>();
        for (JsonNode element : value) {
            if (!element.isValueNode() || element.isNull()) {
                throw new LayoutException(where + ": '" + field + "' must be an array of strings");
            }
            values.add(element.asText());
        }
        return values;
    }

    private static Instant instant(ObjectNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (value.isIntegralNumber()) {
            return Instant.ofEpochMilli(value.longValue());
        }
        if (value.isTextual()) {
            try {
                return OffsetDateTime.parse(value.textValue()).toInstant();
            } catch (DateTimeParseException e) {
                // reported below
            }
        }
        throw new LayoutException(where + ": '" + field + "' must be an ISO-8601 timestamp");
    }

    private static boolean isDecimal(String value) {
        try {
            Double.parseDouble(value);
            return !value.isBlank() && Character.isDigit(value.charAt(value.length() - 1));
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
