package io.rotor.storage.sqlite.internal;

import static io.rotor.store.contract.AccountStoreContract.account;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rotor.api.Account;
import io.rotor.api.AccountRuntime;
import io.rotor.api.AccountStats;
import io.rotor.api.AccountStatus;
import io.rotor.api.ErrorCode;
import io.rotor.api.RateLimitState;
import io.rotor.api.RotorException;
import io.rotor.api.StoreSnapshot;
import io.rotor.api.User;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

/** The SQLite store's own behaviour: file, schema versions and pragmas; the contract is elsewhere. */
class SqliteAccountStoreTest {

    @TempDir
    Path dir;

    private Connection raw(Path file) throws SQLException {
        SQLiteDataSource dataSource = new SQLiteDataSource();
        dataSource.setUrl("jdbc:sqlite:" + file);
        return dataSource.getConnection();
    }

    private static String query(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery(sql)) {
            return result.next() ? result.getString(1) : null;
        }
    }

    @Test
    void upgradesADatabaseOfSchemaVersion1AndKeepsItsData() throws Exception {
        Path file = dir.resolve("rotor.db");
        // What a Rotor with schema version 1 left behind.
        try (Connection old = raw(file); Statement statement = old.createStatement()) {
            for (String sql : SqliteSchema.MIGRATIONS.get(0)) {
                statement.execute(sql);
            }
            statement.execute("INSERT INTO accounts (id, upstream, pool, name, status, priority, weight,"
                    + " max_concurrent, created_at, total_requests) VALUES ('acc_old', 'openai', 'default', 'old',"
                    + " 'inactive', 2, 3, 0, 1767225600000, 77)");
            statement.execute("INSERT INTO account_secrets VALUES ('acc_old', 'apiKey', 'aXY=:Y3Q=:dGFn')");
            statement.execute("INSERT INTO account_tags VALUES ('acc_old', 0, 'legacy')");
            statement.execute("INSERT INTO users (id, name, key_hash, pool) VALUES ('usr_old', 'bob', 'h', 'default')");
            statement.execute("INSERT INTO settings VALUES ('masterKeyHash', 'abc')");
            statement.execute("PRAGMA user_version = 1");
        }

        try (SqliteAccountStore store = new SqliteAccountStore(file)) {
            StoreSnapshot snapshot = store.snapshot();
            Account account = snapshot.accounts().get(0);
            assertEquals("acc_old", account.id());
            assertEquals(AccountStatus.INACTIVE, account.status());
            assertEquals(Instant.parse("2026-01-01T00:00:00Z"), account.createdAt());
            assertEquals(77, account.stats().totalRequests());
            assertEquals(Map.of(Account.SECRET_API_KEY, "aXY=:Y3Q=:dGFn"), account.secrets());
            assertEquals(List.of("legacy"), account.tags());
            assertEquals(List.of(new User("usr_old", "bob", "h", "default", null)), snapshot.users());
            assertEquals(Map.of("masterKeyHash", "abc"), snapshot.settings());
            long before = store.revision();
            store.putAccount(account("acc_new"));
            assertTrue(store.revision() > before, "version 2's revision counter works");
        }
        try (Connection connection = raw(file)) {
            assertEquals(String.valueOf(SqliteSchema.VERSION), query(connection, "PRAGMA user_version"));
        }
    }

    @Test
    void aDatabaseFromANewerRotorIsRefusedAndLeftUntouched() throws Exception {
        Path file = dir.resolve("rotor.db");
        new SqliteAccountStore(file).close();
        try (Connection connection = raw(file); Statement statement = connection.createStatement()) {
            statement.execute("PRAGMA user_version = " + (SqliteSchema.VERSION + 1));
        }
        byte[] before = Files.readAllBytes(file);

        RotorException e = assertThrows(RotorException.class, () -> new SqliteAccountStore(file).snapshot());

        assertEquals(ErrorCode.STORE_ERROR, e.code());
        assertTrue(e.getMessage().contains("newer"), e.getMessage());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(file));
    }

    @Test
    void aFileThatIsNotADatabaseGivesStoreErrorStaysByteIdenticalAndIsPickedUpOnceReplaced() throws Exception {
        Path file = dir.resolve("rotor.db");
        byte[] json = "{\"accounts\": []}\n".repeat(100).getBytes();
        Files.write(file, json);
        SqliteAccountStore store = new SqliteAccountStore(file);

        RotorException read = assertThrows(RotorException.class, store::snapshot);
        RotorException write = assertThrows(RotorException.class, () -> store.putAccount(account("a")));

        for (RotorException e : List.of(read, write)) {
            assertEquals(ErrorCode.STORE_ERROR, e.code());
            assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        }
        assertArrayEquals(json, Files.readAllBytes(file));
        Files.delete(file);
        store.putAccount(account("a"));
        assertEquals(1, store.snapshot().accounts().size());
        store.close();
    }

    @Test
    void connectionsWaitForABusyFileAndSyncEveryCommitFully() throws Exception {
        Path file = dir.resolve("pragmas.db");
        try (SqliteAccountStore store = new SqliteAccountStore(file);
                Connection connection = SqliteAccountStore.dataSource(file).getConnection()) {
            store.putAccount(account("acc_1"));
            assertEquals("2", query(connection, "PRAGMA synchronous"), "2 is FULL");
            assertEquals(String.valueOf(SqliteAccountStore.BUSY_TIMEOUT_MS), query(connection, "PRAGMA busy_timeout"));
            assertEquals("1", query(connection, "PRAGMA foreign_keys"));
        }
    }

    @Test
    void runsInWalModeWithOwnerOnlyFiles() throws Exception {
        Path file = dir.resolve("nested/rotor.db");
        try (SqliteAccountStore store = new SqliteAccountStore(file)) {
            store.putAccount(account("acc_1"));
            try (Connection connection = raw(file)) {
                assertEquals("wal", query(connection, "PRAGMA journal_mode"));
                assertEquals("ok", query(connection, "PRAGMA integrity_check"));
            }
            for (String name : List.of("rotor.db", "rotor.db-wal", "rotor.db-shm")) {
                Path path = file.resolveSibling(name);
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path)), name);
            }
        }
        assertFalse(Files.exists(file.resolveSibling("rotor.db-wal")), "a clean close checkpoints the WAL");
    }

    @Test
    void storesCiphertextsAsGivenAndNoPlainSecret() throws Exception {
        Path file = dir.resolve("rotor.db");
        String ciphertext = "AAECAwQFBgcICQoL:c2VjcmV0:AAECAwQFBgcICQoLDA0ODw==";
        try (SqliteAccountStore store = new SqliteAccountStore(file)) {
            store.putAccount(account("acc_s").withSecrets(Map.of(Account.SECRET_API_KEY, ciphertext), "k1"));
        }
        try (Connection connection = raw(file)) {
            assertEquals(ciphertext, query(connection, "SELECT ciphertext FROM account_secrets"));
            assertEquals("k1", query(connection, "SELECT encryption_key_id FROM accounts"));
        }
    }

    @Test
    void aWriteThatFailsHalfwayIsRolledBackWhole() throws Exception {
        Path file = dir.resolve("rotor.db");
        try (SqliteAccountStore store = new SqliteAccountStore(file)) {
            store.putAccount(account("kept"));
            try (Connection connection = raw(file); Statement statement = connection.createStatement()) {
                statement.execute("CREATE TRIGGER fail_on_boom BEFORE INSERT ON account_tags WHEN NEW.tag = 'boom'"
                        + " BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
            }
            StoreSnapshot before = store.snapshot();
            Account boom = new Account("acc_3", "openai", null, null, null, null, 1, 1, List.of("boom"), 0, null,
                    null, null, null, null, null, null);

            RotorException e = assertThrows(RotorException.class, () -> store.replaceAll(new StoreSnapshot(
                    List.of(account("acc_1"), account("acc_2"), boom), List.of(), List.of(), Map.of("k", "v"), 0)));

            assertEquals(ErrorCode.STORE_ERROR, e.code());
            assertTrue(e.getMessage().contains("injected failure"), e.getMessage());
            try (SqliteAccountStore fresh = new SqliteAccountStore(file)) {
                assertEquals(before, fresh.snapshot(), "read without any cache");
            }
            assertEquals(before.revision(), store.revision());
            store.putAccount(account("after"));
            assertEquals(List.of("kept", "after"), store.snapshot().accounts().stream().map(Account::id).toList());
        }
    }

    @Test
    void aStatisticsFlushReadsBackFromThisStoreExactlyAsFromTheFile() {
        Path file = dir.resolve("rotor.db");
        Instant precise = Instant.parse("2026-04-01T10:00:00.123456Z");
        try (SqliteAccountStore store = new SqliteAccountStore(file)) {
            for (String id : List.of("a", "b", "c")) {
                store.putAccount(account(id));
            }
            store.snapshot();
            store.saveRuntime(List.of(
                    new AccountRuntime("a", AccountStatus.RATE_LIMITED, "429", precise,
                            new AccountStats(5, 4, 1, 1, precise), new RateLimitState(3, precise, precise)),
                    new AccountRuntime("b", null, "ignored", null, null, null),
                    new AccountRuntime("gone", AccountStatus.INVALID, "x", precise, AccountStats.EMPTY, null)));
            StoreSnapshot own = store.snapshot();

            try (SqliteAccountStore other = new SqliteAccountStore(file)) {
                StoreSnapshot fromFile = other.snapshot();
                assertEquals(fromFile.accounts(), own.accounts());
                assertEquals(fromFile.revision(), own.revision());
            }
            assertEquals(AccountStatus.RATE_LIMITED, own.accounts().get(0).status());
            assertEquals(Instant.parse("2026-04-01T10:00:00.123Z"), own.accounts().get(0).lastUsed());
        }
    }

    @Test
    void aClosedStoreRefusesWithStoreError() {
        SqliteAccountStore store = new SqliteAccountStore(dir.resolve("rotor.db"));
        store.close();

        assertEquals(ErrorCode.STORE_ERROR, assertThrows(RotorException.class, store::snapshot).code());
        assertEquals(ErrorCode.STORE_ERROR,
                assertThrows(RotorException.class, () -> store.putAccount(account("a"))).code());
        store.close();
    }

    @Test
    void anUnknownStatusInTheDatabaseIsAStoreErrorNamingTheAccount() throws Exception {
        Path file = dir.resolve("rotor.db");
        try (SqliteAccountStore store = new SqliteAccountStore(file)) {
            store.putAccount(account("acc_x").withRuntime(AccountStats.EMPTY, null, null));
            try (Connection connection = raw(file); Statement statement = connection.createStatement()) {
                statement.execute("UPDATE accounts SET status = 'sleeping'");
                statement.execute("UPDATE store_meta SET value = value + 1");
            }
            RotorException e = assertThrows(RotorException.class, store::snapshot);
            assertTrue(e.getMessage().contains("acc_x"), e.getMessage());
        }
    }

    @Test
    void manyStoresOpeningOneNewFileAtTheSameMomentAllOpen() throws Exception {
        for (int round = 0; round < 30; round++) {
            Path file = dir.resolve("race-" + round + ".db");
            List<SqliteAccountStore> stores = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                stores.add(new SqliteAccountStore(file));
            }
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> opened = new ArrayList<>();
            try (var threads = Executors.newFixedThreadPool(stores.size())) {
                for (int i = 0; i < stores.size(); i++) {
                    SqliteAccountStore store = stores.get(i);
                    String id = "acc_" + i;
                    opened.add(threads.submit(() -> {
                        start.await();
                        store.putAccount(account(id));
                        return null;
                    }));
                }
                start.countDown();
                for (var done : opened) {
                    done.get();
                }
                assertEquals(stores.size(), stores.get(0).snapshot().accounts().size());
            } finally {
                stores.forEach(SqliteAccountStore::close);
            }
            try (Connection connection = raw(file)) {
                assertEquals("wal", query(connection, "PRAGMA journal_mode"));
            }
        }
    }
}
