package io.rotor.storage.sqlite.internal;

import io.rotor.api.Account;
import io.rotor.api.AccountRuntime;
import io.rotor.api.AccountStats;
import io.rotor.api.AccountStatus;
import io.rotor.api.AccountStore;
import io.rotor.api.ErrorCode;
import io.rotor.api.Pool;
import io.rotor.api.RateLimitState;
import io.rotor.api.RotorException;
import io.rotor.api.StoreSnapshot;
import io.rotor.api.User;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteOpenMode;

/**
 * {@link AccountStore} on a SQLite database in WAL mode.
 *
 * <p>Every change is one {@code BEGIN IMMEDIATE} transaction, which takes the database's write
 * lock before reading anything, so a writer in another process (the CLI) is queued by
 * {@code busy_timeout} instead of failing, and no change is made on stale data. Each transaction
 * bumps the revision row of {@code store_meta}, which is how {@link #revision()} sees another
 * process's writes with one read. Credential and admin writes commit with
 * {@code synchronous=FULL} (the WAL is fsynced before the call returns). The background
 * statistics flush, once a second, commits with {@code synchronous=NORMAL}: it survives a crash of
 * the process, and only a power loss can undo flushes made since the WAL was last synced; a FULL
 * commit (or a checkpoint) syncs every frame before it, and a flush is committed FULL when the last
 * sync is older than {@link #STATISTICS_SYNC_INTERVAL_NANOS}, which bounds that loss. Readers use
 * their own connection and never block writers.
 */
@Component(service = AccountStore.class, configurationPid = "rotor",
        configurationPolicy = ConfigurationPolicy.REQUIRE, property = AccountStore.TYPE + "=sqlite")
@Designate(ocd = SqliteStoreConfiguration.class)
public final class SqliteAccountStore implements AccountStore, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(SqliteAccountStore.class.getName());
    /** How long a write waits for another process's transaction before it fails. */
    static final int BUSY_TIMEOUT_MS = 30_000;
    /** At most this much of the statistics flushes can be undone by a power loss (never by a crash). */
    static final long STATISTICS_SYNC_INTERVAL_NANOS = 60_000_000_000L;

    private static final String ACCOUNT_COLUMNS = "id, upstream, pool, name, status, status_reason, priority,"
            + " weight, max_concurrent, created_at, last_used, email, encryption_key_id, total_requests,"
            + " successful_requests, failed_requests, rate_limit_hits, last_request_at, requests_this_window,"
            + " window_start, blocked_until";
    private static final String INSERT_ACCOUNT = "INSERT INTO accounts (" + ACCOUNT_COLUMNS + ")"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    /** Replacing keeps the row (and so its {@code seq}, the account's place in the order). */
    private static final String UPSERT_ACCOUNT = INSERT_ACCOUNT + " ON CONFLICT (id) DO UPDATE SET"
            + " upstream = excluded.upstream, pool = excluded.pool, name = excluded.name, status = excluded.status,"
            + " status_reason = excluded.status_reason, priority = excluded.priority, weight = excluded.weight,"
            + " max_concurrent = excluded.max_concurrent, created_at = excluded.created_at,"
            + " last_used = excluded.last_used, email = excluded.email,"
            + " encryption_key_id = excluded.encryption_key_id, total_requests = excluded.total_requests,"
            + " successful_requests = excluded.successful_requests, failed_requests = excluded.failed_requests,"
            + " rate_limit_hits = excluded.rate_limit_hits, last_request_at = excluded.last_request_at,"
            + " requests_this_window = excluded.requests_this_window, window_start = excluded.window_start,"
            + " blocked_until = excluded.blocked_until";
    /** Parameters: 1 id, 2 last used, 3 has stats, 4-8 stats, 9 has window, 10-12 window, 13 status, 14 reason. */
    private static final String UPDATE_RUNTIME = """
            UPDATE accounts SET
                last_used = ?2,
                total_requests = CASE WHEN ?3 THEN ?4 ELSE total_requests END,
                successful_requests = CASE WHEN ?3 THEN ?5 ELSE successful_requests END,
                failed_requests = CASE WHEN ?3 THEN ?6 ELSE failed_requests END,
                rate_limit_hits = CASE WHEN ?3 THEN ?7 ELSE rate_limit_hits END,
                last_request_at = CASE WHEN ?3 THEN ?8 ELSE last_request_at END,
                requests_this_window = CASE WHEN ?9 THEN ?10 ELSE requests_this_window END,
                window_start = CASE WHEN ?9 THEN ?11 ELSE window_start END,
                blocked_until = CASE WHEN ?9 THEN ?12 ELSE blocked_until END,
                status = COALESCE(?13, status),
                status_reason = CASE WHEN ?13 IS NULL THEN status_reason ELSE ?14 END
            WHERE id = ?1""";
    private static final String UPSERT_USER = "INSERT INTO users (id, name, key_hash, pool, created_at)"
            + " VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name,"
            + " key_hash = excluded.key_hash, pool = excluded.pool, created_at = excluded.created_at";
    private static final String UPSERT_POOL = "INSERT INTO pools"
            + " (name, strategy, per_account, window_ms, cooldown_ms, max_retries) VALUES (?, ?, ?, ?, ?, ?)"
            + " ON CONFLICT (name) DO UPDATE SET strategy = excluded.strategy, per_account = excluded.per_account,"
            + " window_ms = excluded.window_ms, cooldown_ms = excluded.cooldown_ms,"
            + " max_retries = excluded.max_retries";
    private static final String UPSERT_SETTING = "INSERT INTO settings (key, value) VALUES (?, ?)"
            + " ON CONFLICT (key) DO UPDATE SET value = excluded.value";
    private static final String READ_REVISION = "SELECT value FROM store_meta WHERE key = 'revision'";
    private static final String BUMP_REVISION = "UPDATE store_meta SET value = value + 1 WHERE key = 'revision'";

    /** How a write transaction commits: FULL, or NORMAL for statistics unless a sync is due. */
    private enum Durability { FULL, STATISTICS }

    /** One change inside a write transaction; returns true if it changed anything. */
    @FunctionalInterface
    private interface Change {
        boolean apply(Connection connection) throws SQLException;
    }

    /** The two connections and the one statement kept prepared, opened on first use. */
    private record Connections(Connection writer, Connection reader, PreparedStatement revisionQuery) {
    }

    private final Path file;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final ReentrantLock readLock = new ReentrantLock();
    private volatile Connections connections;
    private StoreSnapshot cached;
    private boolean closed;
    /** When this store's writer last committed with FULL; guarded by the write lock. */
    private long lastSyncedNanos = System.nanoTime();

    @Activate
    public SqliteAccountStore(SqliteStoreConfiguration config) {
        this(Path.of(config.store_sqlite_path()));
    }

    /**
     * A store on {@code file}. The database is opened (created, mode 0600, if needed) and its schema
     * brought up to date on first use, so that a failure to open it reaches the caller of that use
     * with its reason, and a repaired file is picked up by the next call.
     */
    public SqliteAccountStore(Path file) {
        this.file = file.toAbsolutePath().normalize();
    }

    /** Returns the database file. */
    public Path file() {
        return file;
    }

    /**
     * Returns the open connections, opening the database first if needed.
     *
     * @throws RotorException {@link ErrorCode#STORE_ERROR} if the store is closed, or if the file
     *         cannot be opened, is not a SQLite database or was written by a newer Rotor; the file
     *         is then left untouched
     */
    private Connections open() {
        Connections open = connections;
        if (open != null) {
            return open;
        }
        synchronized (this) {
            if (closed) {
                throw new RotorException(ErrorCode.STORE_ERROR, "the SQLite store " + file + " is closed");
            }
            if (connections != null) {
                return connections;
            }
            long deadline = System.nanoTime() + BUSY_TIMEOUT_MS * 1_000_000L;
            while (true) {
                Connection writer = null;
                Connection reader = null;
                try {
                    createOwnerOnly(file);
                    SQLiteDataSource dataSource = dataSource(file);
                    writer = dataSource.getConnection();
                    migrate(writer);
                    reader = dataSource.getConnection();
                    connections = new Connections(writer, reader, reader.prepareStatement(READ_REVISION));
                    return connections;
                } catch (SQLException | IOException | RuntimeException e) {
                    closeQuietly(reader);
                    closeQuietly(writer);
                    if (e instanceof RotorException rotorException) {
                        throw rotorException;
                    }
                    if (Files.isReadable(file) && !Files.isWritable(file.getParent())) {
                        connections = openReadOnly(e);
                        return connections;
                    }
                    // SQLite does not consult the busy handler for every lock taken while a file is first
                    // opened (the switch to WAL among them), so another process opening the same file at
                    // this moment is waited for here, as long as a write would wait.
                    if (isBusy(e) && System.nanoTime() < deadline) {
                        pauseBeforeRetry();
                        continue;
                    }
                    throw new RotorException(ErrorCode.STORE_ERROR, "cannot open the SQLite store " + file + ": "
                            + describe(e) + "; it was left untouched", e);
                }
            }
        }
    }

    /**
     * In WAL mode SQLite writes its {@code -shm} file beside the database even to read, so a read-only folder
     * would stop reads too: open the file as immutable instead, so the data stays readable and every write
     * fails with SQLite's "attempt to write a readonly database".
     */
    private Connections openReadOnly(Exception cause) {
        SQLiteConfig config = new SQLiteConfig();
        config.setReadOnly(true);
        config.setOpenMode(SQLiteOpenMode.OPEN_URI);
        SQLiteDataSource dataSource = new SQLiteDataSource(config);
        dataSource.setUrl("jdbc:sqlite:file:" + file.toUri().getRawPath() + "?immutable=1");
        Connection writer = null;
        Connection reader = null;
        try {
            writer = dataSource.getConnection();
            int found = SqliteSchema.version(writer);
            if (found != SqliteSchema.VERSION) {
                throw new SQLException("its schema (version " + found + ") needs an upgrade to version "
                        + SqliteSchema.VERSION + ", which a read-only folder does not allow");
            }
            reader = dataSource.getConnection();
            LOG.log(System.Logger.Level.WARNING, "SQLite store {0}: the folder is read-only; reading only,"
                    + " every write will fail", file);
            return new Connections(writer, reader, reader.prepareStatement(READ_REVISION));
        } catch (SQLException e) {
            closeQuietly(reader);
            closeQuietly(writer);
            throw new RotorException(ErrorCode.STORE_ERROR, "cannot open the SQLite store " + file + " in the"
                    + " read-only folder " + file.getParent() + ": " + describe(e) + " (opening it normally: "
                    + describe(cause) + "); it was left untouched", e);
        }
    }

    private static boolean isBusy(Exception e) {
        if (!(e instanceof SQLException sql)) {
            return false;
        }
        int primary = sql.getErrorCode() & 0xff;
        return primary == SQLiteErrorCode.SQLITE_BUSY.code || primary == SQLiteErrorCode.SQLITE_LOCKED.code;
    }

    private static void pauseBeforeRetry() {
        try {
            Thread.sleep(ThreadLocalRandom.current().nextLong(5, 50));
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new RotorException(ErrorCode.STORE_ERROR, "interrupted while opening the SQLite store");
        }
    }

    static SQLiteDataSource dataSource(Path file) {
        SQLiteConfig config = new SQLiteConfig();
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        config.setBusyTimeout(BUSY_TIMEOUT_MS);
        config.enforceForeignKeys(true);
        SQLiteDataSource dataSource = new SQLiteDataSource(config);
        dataSource.setUrl("jdbc:sqlite:" + file);
        return dataSource;
    }

    /** SQLite gives its WAL and shared-memory files the database file's mode, so 0600 covers all three. */
    private static void createOwnerOnly(Path file) throws IOException {
        if (Files.exists(file)) {
            return;
        }
        Files.createDirectories(file.getParent());
        FileAttribute<?>[] ownerOnly = file.getFileSystem().supportedFileAttributeViews().contains("posix")
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
                : new FileAttribute<?>[0];
        try {
            Files.createFile(file, ownerOnly);
        } catch (FileAlreadyExistsException e) {
            // another process created it meanwhile
        }
    }

    private void migrate(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            // Checked before anything is written, WAL mode included: a newer Rotor's file stays as it is.
            int found = SqliteSchema.version(connection);
            if (found > SqliteSchema.VERSION) {
                throw tooNew(new SqliteSchema.TooNewException(found));
            }
            // Persistent in the file, so it is set once, by the first connection, for every process;
            // switching needs the file to itself, so it is not asked for again once done.
            if (!"wal".equalsIgnoreCase(journalMode(statement))) {
                statement.execute("PRAGMA journal_mode = WAL");
            }
            statement.execute("BEGIN IMMEDIATE");
            try {
                int before = SqliteSchema.migrate(connection);
                statement.execute("COMMIT");
                if (before != 0 && before != SqliteSchema.VERSION) {
                    LOG.log(System.Logger.Level.INFO, "SQLite store {0}: schema upgraded from version {1} to {2}",
                            file, before, SqliteSchema.VERSION);
                }
            } catch (SqliteSchema.TooNewException e) {
                rollbackQuietly(statement);
                throw tooNew(e);
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(statement);
                throw e;
            }
        }
    }

    private static String journalMode(Statement statement) throws SQLException {
        try (ResultSet rows = statement.executeQuery("PRAGMA journal_mode")) {
            return rows.next() ? rows.getString(1) : "";
        }
    }

    private RotorException tooNew(SqliteSchema.TooNewException e) {
        return new RotorException(ErrorCode.STORE_ERROR, "cannot open the SQLite store " + file + ": "
                + e.getMessage() + "; it was left untouched");
    }

    @Deactivate
    @Override
    public void close() {
        writeLock.lock();
        readLock.lock();
        try {
            synchronized (this) {
                closed = true;
                Connections open = connections;
                connections = null;
                if (open != null) {
                    closeQuietly(open.revisionQuery());
                    closeQuietly(open.reader());
                    // The last connection to close checkpoints the WAL into the database file.
                    closeQuietly(open.writer());
                }
            }
        } finally {
            readLock.unlock();
            writeLock.unlock();
        }
    }

    // ---------------------------------------------------------------- reading

    @Override
    public StoreSnapshot snapshot() {
        Connections open = open();
        readLock.lock();
        try (Statement statement = reader(open).createStatement()) {
            // One read transaction: every table from the same committed state.
            statement.execute("BEGIN");
            try {
                long revision = readRevision(open);
                StoreSnapshot snapshot = cached != null && cached.revision() == revision
                        ? cached : readAll(open.reader(), revision);
                cached = snapshot;
                return snapshot;
            } finally {
                statement.execute("COMMIT");
            }
        } catch (SQLException e) {
            throw readError(e);
        } finally {
            readLock.unlock();
        }
    }

    @Override
    public long revision() {
        Connections open = open();
        readLock.lock();
        try {
            reader(open);
            return readRevision(open);
        } catch (SQLException e) {
            throw readError(e);
        } finally {
            readLock.unlock();
        }
    }

    /** Returns the reader; the caller holds the read lock, under which close() cannot run. */
    private Connection reader(Connections open) {
        requireOpen(open);
        return open.reader();
    }

    private void requireOpen(Connections open) {
        if (connections != open) {
            throw new RotorException(ErrorCode.STORE_ERROR, "the SQLite store " + file + " is closed");
        }
    }

    private static long readRevision(Connections open) throws SQLException {
        try (ResultSet result = open.revisionQuery().executeQuery()) {
            return result.next() ? result.getLong(1) : 0;
        }
    }

    private StoreSnapshot readAll(Connection reader, long revision) throws SQLException {
        Map<String, Map<String, String>> secrets = new HashMap<>();
        try (PreparedStatement query = reader.prepareStatement(
                "SELECT account_id, field, ciphertext FROM account_secrets");
                ResultSet rows = query.executeQuery()) {
            while (rows.next()) {
                secrets.computeIfAbsent(rows.getString(1), id -> new HashMap<>()).put(rows.getString(2), rows.getString(3));
            }
        }
        Map<String, List<String>> tags = new HashMap<>();
        try (PreparedStatement query = reader.prepareStatement(
                "SELECT account_id, tag FROM account_tags ORDER BY account_id, position");
                ResultSet rows = query.executeQuery()) {
            while (rows.next()) {
                tags.computeIfAbsent(rows.getString(1), id -> new ArrayList<>()).add(rows.getString(2));
            }
        }
        List<Account> accounts = new ArrayList<>();
        Map<String, String> names = new HashMap<>();
        try (PreparedStatement query = reader.prepareStatement(
                "SELECT " + ACCOUNT_COLUMNS + " FROM accounts ORDER BY seq");
                ResultSet rows = query.executeQuery()) {
            while (rows.next()) {
                accounts.add(readAccount(rows, secrets, tags, names));
            }
        }
        List<User> users = new ArrayList<>();
        try (PreparedStatement query = reader.prepareStatement(
                "SELECT id, name, key_hash, pool, created_at FROM users ORDER BY seq");
                ResultSet rows = query.executeQuery()) {
            while (rows.next()) {
                users.add(new User(rows.getString(1), rows.getString(2), rows.getString(3), rows.getString(4),
                        instant(rows, 5)));
            }
        }
        List<Pool> pools = new ArrayList<>();
        try (PreparedStatement query = reader.prepareStatement("SELECT name, strategy, per_account, window_ms,"
                + " cooldown_ms, max_retries FROM pools ORDER BY seq");
                ResultSet rows = query.executeQuery()) {
            while (rows.next()) {
                Long perAccount = nullableLong(rows, 3);
                Long maxRetries = nullableLong(rows, 6);
                pools.add(new Pool(rows.getString(1), rows.getString(2),
                        perAccount == null ? null : perAccount.intValue(), nullableLong(rows, 4),
                        nullableLong(rows, 5), maxRetries == null ? null : maxRetries.intValue()));
            }
        }
        Map<String, String> settings = new LinkedHashMap<>();
        try (PreparedStatement query = reader.prepareStatement("SELECT key, value FROM settings");
                ResultSet rows = query.executeQuery()) {
            while (rows.next()) {
                settings.put(rows.getString(1), rows.getString(2));
            }
        }
        return new StoreSnapshot(accounts, users, pools, settings, revision);
    }

    private Account readAccount(ResultSet rows, Map<String, Map<String, String>> secrets,
            Map<String, List<String>> tags, Map<String, String> names) throws SQLException {
        String id = rows.getString(1);
        AccountStatus status;
        try {
            status = AccountStatus.parse(rows.getString(5));
        } catch (IllegalArgumentException e) {
            throw new RotorException(ErrorCode.STORE_ERROR, "SQLite store " + file + ": account " + id + ": "
                    + e.getMessage());
        }
        // Names that thousands of accounts repeat share one string, which stays in the processor's cache.
        String pool = rows.getString(3);
        return new Account(id, names.computeIfAbsent(rows.getString(2), n -> n),
                pool == null ? null : names.computeIfAbsent(pool, n -> n), rows.getString(4),
                status, rows.getString(6),
                rows.getInt(7), rows.getInt(8), tags.get(id), rows.getInt(9), instant(rows, 10), instant(rows, 11),
                rows.getString(12), secrets.get(id), rows.getString(13),
                new AccountStats(rows.getLong(14), rows.getLong(15), rows.getLong(16), rows.getLong(17),
                        instant(rows, 18)),
                new RateLimitState(rows.getInt(19), instant(rows, 20), instant(rows, 21)));
    }

    // ---------------------------------------------------------------- writing

    @Override
    public void putAccount(Account account) {
        Objects.requireNonNull(account, "account");
        write(Durability.FULL, connection -> {
            try (PreparedStatement upsert = connection.prepareStatement(UPSERT_ACCOUNT);
                    PreparedStatement secrets = connection.prepareStatement(
                            "DELETE FROM account_secrets WHERE account_id = ?");
                    PreparedStatement tags = connection.prepareStatement(
                            "DELETE FROM account_tags WHERE account_id = ?")) {
                bindAccount(upsert, account);
                upsert.executeUpdate();
                secrets.setString(1, account.id());
                secrets.executeUpdate();
                tags.setString(1, account.id());
                tags.executeUpdate();
            }
            insertSecretsAndTags(connection, List.of(account));
            return true;
        });
    }

    @Override
    public boolean removeAccount(String id) {
        Objects.requireNonNull(id, "id");
        // Secrets and tags go with the account (ON DELETE CASCADE).
        return write(Durability.FULL, connection -> deleteWhere(connection, "DELETE FROM accounts WHERE id = ?", id));
    }

    @Override
    public void putUser(User user) {
        Objects.requireNonNull(user, "user");
        write(Durability.FULL, connection -> {
            try (PreparedStatement upsert = connection.prepareStatement(UPSERT_USER)) {
                bindUser(upsert, user);
                upsert.executeUpdate();
            }
            return true;
        });
    }

    @Override
    public boolean removeUser(String id) {
        Objects.requireNonNull(id, "id");
        return write(Durability.FULL, connection -> deleteWhere(connection, "DELETE FROM users WHERE id = ?", id));
    }

    @Override
    public void putPool(Pool pool) {
        Objects.requireNonNull(pool, "pool");
        write(Durability.FULL, connection -> {
            try (PreparedStatement upsert = connection.prepareStatement(UPSERT_POOL)) {
                bindPool(upsert, pool);
                upsert.executeUpdate();
            }
            return true;
        });
    }

    @Override
    public void putSetting(String key, String value) {
        Objects.requireNonNull(key, "key");
        write(Durability.FULL, connection -> {
            if (value == null) {
                return deleteWhere(connection, "DELETE FROM settings WHERE key = ?", key);
            }
            try (PreparedStatement upsert = connection.prepareStatement(UPSERT_SETTING)) {
                upsert.setString(1, key);
                upsert.setString(2, value);
                upsert.executeUpdate();
            }
            return true;
        });
    }

    @Override
    public void saveRuntime(Collection<AccountRuntime> runtimes) {
        if (runtimes.isEmpty()) {
            return;
        }
        List<AccountRuntime> copy = List.copyOf(runtimes);
        Map<String, AccountRuntime> byId = new HashMap<>();
        copy.forEach(runtime -> byId.put(runtime.id(), runtime));
        write(Durability.STATISTICS, accounts -> withRuntimes(accounts, byId), connection -> {
            try (PreparedStatement update = connection.prepareStatement(UPDATE_RUNTIME)) {
                for (AccountRuntime runtime : copy) {
                    bindRuntime(update, runtime);
                    update.addBatch();
                }
                int changed = 0;
                for (int count : update.executeBatch()) {
                    changed += Math.max(count, 0);
                }
                return changed > 0;
            }
        });
    }

    @Override
    public void replaceAll(StoreSnapshot content) {
        Objects.requireNonNull(content, "content");
        // Checked first, so the message names the duplicate rather than a constraint.
        String duplicate = firstDuplicate(content);
        if (duplicate != null) {
            throw new RotorException(ErrorCode.STORE_ERROR, "cannot replace the content of " + file
                    + ": the content holds two of " + duplicate + "; the store was left as it was");
        }
        write(Durability.FULL, connection -> {
            try (Statement statement = connection.createStatement()) {
                for (String table : List.of("account_secrets", "account_tags", "accounts", "users", "pools",
                        "settings")) {
                    statement.execute("DELETE FROM " + table);
                }
            }
            try (PreparedStatement insert = connection.prepareStatement(INSERT_ACCOUNT)) {
                for (Account account : content.accounts()) {
                    bindAccount(insert, account);
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            insertSecretsAndTags(connection, content.accounts());
            try (PreparedStatement insert = connection.prepareStatement(UPSERT_USER)) {
                for (User user : content.users()) {
                    bindUser(insert, user);
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            try (PreparedStatement insert = connection.prepareStatement(UPSERT_POOL)) {
                for (Pool pool : content.pools()) {
                    bindPool(insert, pool);
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            try (PreparedStatement insert = connection.prepareStatement(UPSERT_SETTING)) {
                for (Map.Entry<String, String> setting : content.settings().entrySet()) {
                    insert.setString(1, setting.getKey());
                    insert.setString(2, setting.getValue());
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            return true;
        });
    }

    private static String firstDuplicate(StoreSnapshot content) {
        Set<String> seen = new HashSet<>();
        for (Account account : content.accounts()) {
            if (!seen.add(account.id())) {
                return "account '" + account.id() + "'";
            }
        }
        seen.clear();
        for (User user : content.users()) {
            if (!seen.add(user.id())) {
                return "user '" + user.id() + "'";
            }
        }
        seen.clear();
        for (Pool pool : content.pools()) {
            if (!seen.add(pool.name())) {
                return "pool '" + pool.name() + "'";
            }
        }
        return null;
    }

    /**
     * Runs {@code change} in one immediate transaction on the writer connection, bumping the
     * revision if it changed anything; on any failure the transaction is rolled back.
     */
    private boolean write(Durability durability, Change change) {
        return write(durability, null, change);
    }

    /**
     * As {@link #write(Durability, Change)}; if {@code sameInMemory} is given, it applies the same
     * change to a list of accounts, and the cached snapshot is brought forward with it when the
     * cache held exactly the state this change was made on. That spares the engine, which reloads
     * after every revision change, a read of every account after each of its own statistics flushes.
     */
    private boolean write(Durability durability, UnaryOperator<List<Account>> sameInMemory, Change change) {
        Connections open = open();
        writeLock.lock();
        try {
            requireOpen(open);
            Connection writer = open.writer();
            try (Statement statement = writer.createStatement()) {
                boolean sync = durability == Durability.FULL
                        || System.nanoTime() - lastSyncedNanos > STATISTICS_SYNC_INTERVAL_NANOS;
                // A connection-level setting, so it is chosen per transaction, before it begins.
                statement.execute("PRAGMA synchronous = " + (sync ? "FULL" : "NORMAL"));
                statement.execute("BEGIN IMMEDIATE");
                boolean changed;
                long changedFrom = -1;
                try {
                    changed = change.apply(writer);
                    if (changed) {
                        if (sameInMemory != null) {
                            try (ResultSet revision = statement.executeQuery(READ_REVISION)) {
                                changedFrom = revision.next() ? revision.getLong(1) : -1;
                            }
                        }
                        statement.executeUpdate(BUMP_REVISION);
                    }
                    statement.execute("COMMIT");
                } catch (SQLException | RuntimeException e) {
                    rollbackQuietly(statement);
                    throw e;
                }
                if (sync) {
                    lastSyncedNanos = System.nanoTime();
                }
                if (changedFrom >= 0) {
                    bringCacheForward(changedFrom, sameInMemory);
                }
                return changed;
            }
        } catch (SQLException e) {
            throw new RotorException(ErrorCode.STORE_ERROR, "cannot write the SQLite store " + file + ": "
                    + describe(e), e);
        } finally {
            writeLock.unlock();
        }
    }

    private void bringCacheForward(long changedFrom, UnaryOperator<List<Account>> sameInMemory) {
        readLock.lock();
        try {
            StoreSnapshot known = cached;
            if (known != null && known.revision() == changedFrom) {
                cached = new StoreSnapshot(sameInMemory.apply(known.accounts()), known.users(), known.pools(),
                        known.settings(), changedFrom + 1);
            }
        } finally {
            readLock.unlock();
        }
    }

    /** What {@link #UPDATE_RUNTIME} does, on records: instants kept to the millisecond, as stored. */
    private static List<Account> withRuntimes(List<Account> accounts, Map<String, AccountRuntime> byId) {
        List<Account> updated = new ArrayList<>(accounts.size());
        for (Account account : accounts) {
            AccountRuntime runtime = byId.get(account.id());
            if (runtime == null) {
                updated.add(account);
                continue;
            }
            AccountStats stats = runtime.stats() == null ? account.stats() : new AccountStats(
                    runtime.stats().totalRequests(), runtime.stats().successfulRequests(),
                    runtime.stats().failedRequests(), runtime.stats().rateLimitHits(),
                    millis(runtime.stats().lastRequestAt()));
            RateLimitState window = runtime.rateLimit() == null ? account.rateLimit() : new RateLimitState(
                    runtime.rateLimit().requestsThisWindow(), millis(runtime.rateLimit().windowStart()),
                    millis(runtime.rateLimit().blockedUntil()));
            Account changed = account.withRuntime(stats, window, millis(runtime.lastUsed()));
            updated.add(runtime.status() == null ? changed : changed.withStatus(runtime.status(), runtime.statusReason()));
        }
        return updated;
    }

    private static Instant millis(Instant instant) {
        return instant == null ? null : Instant.ofEpochMilli(instant.toEpochMilli());
    }

    private static boolean deleteWhere(Connection connection, String sql, String key) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement(sql)) {
            delete.setString(1, key);
            return delete.executeUpdate() > 0;
        }
    }

    private static void insertSecretsAndTags(Connection connection, List<Account> accounts) throws SQLException {
        try (PreparedStatement secrets = connection.prepareStatement(
                "INSERT INTO account_secrets (account_id, field, ciphertext) VALUES (?, ?, ?)");
                PreparedStatement tags = connection.prepareStatement(
                        "INSERT INTO account_tags (account_id, position, tag) VALUES (?, ?, ?)")) {
            for (Account account : accounts) {
                for (Map.Entry<String, String> secret : account.secrets().entrySet()) {
                    secrets.setString(1, account.id());
                    secrets.setString(2, secret.getKey());
                    secrets.setString(3, secret.getValue());
                    secrets.addBatch();
                }
                for (int i = 0; i < account.tags().size(); i++) {
                    tags.setString(1, account.id());
                    tags.setInt(2, i);
                    tags.setString(3, account.tags().get(i));
                    tags.addBatch();
                }
            }
            secrets.executeBatch();
            tags.executeBatch();
        }
    }

    private static void bindAccount(PreparedStatement statement, Account account) throws SQLException {
        statement.setString(1, account.id());
        statement.setString(2, account.upstream());
        statement.setString(3, account.pool());
        statement.setString(4, account.name());
        statement.setString(5, account.status().wireName());
        statement.setString(6, account.statusReason());
        statement.setInt(7, account.priority());
        statement.setInt(8, account.weight());
        statement.setInt(9, account.maxConcurrent());
        setInstant(statement, 10, account.createdAt());
        setInstant(statement, 11, account.lastUsed());
        statement.setString(12, account.email());
        statement.setString(13, account.encryptionKeyId());
        AccountStats stats = account.stats();
        statement.setLong(14, stats.totalRequests());
        statement.setLong(15, stats.successfulRequests());
        statement.setLong(16, stats.failedRequests());
        statement.setLong(17, stats.rateLimitHits());
        setInstant(statement, 18, stats.lastRequestAt());
        RateLimitState window = account.rateLimit();
        statement.setInt(19, window.requestsThisWindow());
        setInstant(statement, 20, window.windowStart());
        setInstant(statement, 21, window.blockedUntil());
    }

    private static void bindRuntime(PreparedStatement statement, AccountRuntime runtime) throws SQLException {
        statement.setString(1, runtime.id());
        setInstant(statement, 2, runtime.lastUsed());
        AccountStats stats = runtime.stats();
        statement.setBoolean(3, stats != null);
        statement.setLong(4, stats == null ? 0 : stats.totalRequests());
        statement.setLong(5, stats == null ? 0 : stats.successfulRequests());
        statement.setLong(6, stats == null ? 0 : stats.failedRequests());
        statement.setLong(7, stats == null ? 0 : stats.rateLimitHits());
        setInstant(statement, 8, stats == null ? null : stats.lastRequestAt());
        RateLimitState window = runtime.rateLimit();
        statement.setBoolean(9, window != null);
        statement.setInt(10, window == null ? 0 : window.requestsThisWindow());
        setInstant(statement, 11, window == null ? null : window.windowStart());
        setInstant(statement, 12, window == null ? null : window.blockedUntil());
        statement.setString(13, runtime.status() == null ? null : runtime.status().wireName());
        statement.setString(14, runtime.statusReason());
    }

    private static void bindUser(PreparedStatement statement, User user) throws SQLException {
        statement.setString(1, user.id());
        statement.setString(2, user.name());
        statement.setString(3, user.keyHash());
        statement.setString(4, user.pool());
        setInstant(statement, 5, user.createdAt());
    }

    private static void bindPool(PreparedStatement statement, Pool pool) throws SQLException {
        statement.setString(1, pool.name());
        statement.setString(2, pool.strategy());
        setNullableLong(statement, 3, pool.perAccount() == null ? null : pool.perAccount().longValue());
        setNullableLong(statement, 4, pool.windowMs());
        setNullableLong(statement, 5, pool.cooldownMs());
        setNullableLong(statement, 6, pool.maxRetries() == null ? null : pool.maxRetries().longValue());
    }

    // ---------------------------------------------------------------- column helpers

    private static void setInstant(PreparedStatement statement, int index, Instant value) throws SQLException {
        setNullableLong(statement, index, value == null ? null : value.toEpochMilli());
    }

    private static void setNullableLong(PreparedStatement statement, int index, Long value) throws SQLException {
        if (value == null) {
            statement.setNull(index, Types.INTEGER);
        } else {
            statement.setLong(index, value);
        }
    }

    private static Instant instant(ResultSet rows, int index) throws SQLException {
        Long millis = nullableLong(rows, index);
        return millis == null ? null : Instant.ofEpochMilli(millis);
    }

    private static Long nullableLong(ResultSet rows, int index) throws SQLException {
        long value = rows.getLong(index);
        return rows.wasNull() ? null : value;
    }

    private RotorException readError(SQLException e) {
        return new RotorException(ErrorCode.STORE_ERROR, "cannot read the SQLite store " + file + ": "
                + describe(e), e);
    }

    /** SQLite's messages name tables and constraints, never the values bound, so they cannot leak a secret. */
    private static String describe(Exception e) {
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message;
    }

    private static void rollbackQuietly(Statement statement) {
        try {
            statement.execute("ROLLBACK");
        } catch (SQLException e) {
            // the transaction is already gone (SQLite rolls back by itself on some errors)
        }
    }

    private static void closeQuietly(AutoCloseable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "closing the SQLite store: {0}", e.getMessage());
        }
    }
}
