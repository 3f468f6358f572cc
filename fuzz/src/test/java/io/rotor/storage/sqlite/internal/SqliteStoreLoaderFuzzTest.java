package io.rotor.storage.sqlite.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.rotor.api.Account;
import io.rotor.api.AccountStats;
import io.rotor.api.AccountStatus;
import io.rotor.api.ErrorCode;
import io.rotor.api.Pool;
import io.rotor.api.RateLimitState;
import io.rotor.api.RotorException;
import io.rotor.api.StoreSnapshot;
import io.rotor.api.User;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The SQLite store's loader over a file someone edited by hand: starting from a store Rotor wrote,
 * any column of any table is set to any value SQLite takes (text where numbers belong, nulls, blobs,
 * huge numbers), rows are added or deleted. The store then loads, or refuses with {@code store_error};
 * what it loads survives a write.
 */
class SqliteStoreLoaderFuzzTest {

    private static final List<String> TABLES =
            List.of("accounts", "account_secrets", "account_tags", "users", "pools", "settings", "store_meta");
    private static final Path TEMPLATE;
    private static final Path FILE;
    private static final Map<String, List<String>> COLUMNS = new HashMap<>();

    static {
        try {
            Path dir = Files.createTempDirectory("rotor-fuzz-sqlite");
            TEMPLATE = dir.resolve("template.db");
            FILE = dir.resolve("rotor.db");
            SqliteAccountStore store = new SqliteAccountStore(TEMPLATE);
            Instant at = Instant.parse("2026-02-19T12:00:00Z");
            store.putAccount(new Account("acc_1", "openai", "team", "Primary", AccountStatus.RATE_LIMITED, "429", 2, 3,
                    List.of("a", "b"), 4, at, at, "a@example.com", Map.of(Account.SECRET_API_KEY, "aXY=:Y3Q=:dGFn"),
                    "0011223344556677", new AccountStats(10, 8, 2, 1, at), new RateLimitState(3, at, at)));
            store.putUser(new User("u_1", "alice", "hash", "team", at));
            store.putPool(new Pool("team", "sticky", 5, 1_000L, 2_000L, 2));
            store.putSetting("rotationStrategy", "weighted");
            store.close();
            try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + TEMPLATE)) {
                for (String table : TABLES) {
                    List<String> columns = new ArrayList<>();
                    try (ResultSet rows = connection.createStatement().executeQuery("PRAGMA table_info(" + table + ")")) {
                        while (rows.next()) {
                            columns.add(rows.getString("name"));
                        }
                    }
                    COLUMNS.put(table, columns);
                }
                connection.createStatement().execute("PRAGMA wal_checkpoint(TRUNCATE)");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @FuzzTest(maxDuration = "30s")
    void loadsOrRefusesAFileEditedByHand(FuzzedDataProvider data) throws Exception {
        Files.copy(TEMPLATE, FILE, StandardCopyOption.REPLACE_EXISTING);
        Files.deleteIfExists(Path.of(FILE + "-wal"));
        Files.deleteIfExists(Path.of(FILE + "-shm"));
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + FILE)) {
            int edits = data.consumeInt(1, 6);
            for (int i = 0; i < edits && data.remainingBytes() > 0; i++) {
                edit(connection, data);
            }
        }
        StoreSnapshot loaded;
        try (SqliteAccountStore store = new SqliteAccountStore(FILE)) {
            loaded = store.snapshot();
            store.putSetting("fuzzWrite", "1");
        } catch (RotorException refused) {
            // A hand edit the loader refuses, or a constraint the next write checks: store_error, never otherwise.
            assertEquals(ErrorCode.STORE_ERROR, refused.code(), refused::getMessage);
            return;
        }
        try (SqliteAccountStore reader = new SqliteAccountStore(FILE)) {
            StoreSnapshot reread = reader.snapshot();
            assertEquals(loaded.accounts(), reread.accounts());
            assertEquals(loaded.users(), reread.users());
            assertEquals(loaded.pools(), reread.pools());
        }
    }

    /** One hand edit: a column set to a value of any type, a row copied under a new key, or rows deleted. */
    private static void edit(Connection connection, FuzzedDataProvider data) {
        String table = data.pickValue(TABLES);
        List<String> columns = COLUMNS.get(table);
        String column = data.pickValue(columns);
        int kind = data.consumeInt(0, 2);
        String sql = switch (kind) {
            case 0 -> "UPDATE " + table + " SET " + column + " = ?";
            case 1 -> "INSERT OR IGNORE INTO " + table + " SELECT " + String.join(", ", columns.stream()
                    .map(c -> c.equals(column) ? "?" : c).toList()) + " FROM " + table;
            default -> "DELETE FROM " + table + " WHERE " + column + " IS NOT ?";
        };
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            switch (data.consumeInt(0, 5)) {
                case 0 -> statement.setNull(1, java.sql.Types.NULL);
                case 1 -> statement.setLong(1, data.consumeLong());
                case 2 -> statement.setDouble(1, data.consumeRegularDouble());
                case 3 -> statement.setBytes(1, data.consumeBytes(16));
                case 4 -> statement.setString(1, String.valueOf(data.consumeLong()));
                default -> statement.setString(1, data.consumeString(24));
            }
            statement.executeUpdate();
        } catch (SQLException refusedBySqlite) {
            // A constraint the schema declares: SQLite keeps the file as it was.
        }
    }
}
