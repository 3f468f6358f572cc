package io.rotor.storage.sqlite.internal;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The database layout and its history. {@code PRAGMA user_version} holds the number of
 * migrations applied; opening a store applies the missing ones in one transaction.
 *
 * <p>Timestamps are INTEGER milliseconds since the epoch (the JSON store keeps milliseconds too,
 * so both stores hold the same values). Rows keep their insertion order in {@code seq}, an
 * explicit INTEGER PRIMARY KEY, because VACUUM may renumber an implicit rowid.
 */
final class SqliteSchema {

    /** Migration {@code i} takes the schema from version {@code i} to {@code i + 1}. Never edit one: add one. */
    static final List<List<String>> MIGRATIONS = List.of(
            // 1: accounts with their secrets and tags, users, pools, settings.
            List.of("""
                    CREATE TABLE accounts (
                        seq INTEGER PRIMARY KEY,
                        id TEXT NOT NULL UNIQUE,
                        upstream TEXT NOT NULL,
                        pool TEXT NOT NULL,
                        name TEXT,
                        status TEXT NOT NULL,
                        status_reason TEXT,
                        priority INTEGER NOT NULL,
                        weight INTEGER NOT NULL,
                        max_concurrent INTEGER NOT NULL,
                        created_at INTEGER,
                        last_used INTEGER,
                        email TEXT,
                        encryption_key_id TEXT,
                        total_requests INTEGER NOT NULL DEFAULT 0,
                        successful_requests INTEGER NOT NULL DEFAULT 0,
                        failed_requests INTEGER NOT NULL DEFAULT 0,
                        rate_limit_hits INTEGER NOT NULL DEFAULT 0,
                        last_request_at INTEGER,
                        requests_this_window INTEGER NOT NULL DEFAULT 0,
                        window_start INTEGER,
                        blocked_until INTEGER
                    ) STRICT""", """
                    CREATE TABLE account_secrets (
                        account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
                        field TEXT NOT NULL,
                        ciphertext TEXT NOT NULL,
                        PRIMARY KEY (account_id, field)
                    ) STRICT""", """
                    CREATE TABLE account_tags (
                        account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
                        position INTEGER NOT NULL,
                        tag TEXT NOT NULL,
                        PRIMARY KEY (account_id, position)
                    ) STRICT""", """
                    CREATE TABLE users (
                        seq INTEGER PRIMARY KEY,
                        id TEXT NOT NULL UNIQUE,
                        name TEXT,
                        key_hash TEXT NOT NULL,
                        pool TEXT NOT NULL,
                        created_at INTEGER
                    ) STRICT""", """
                    CREATE TABLE pools (
                        seq INTEGER PRIMARY KEY,
                        name TEXT NOT NULL UNIQUE,
                        strategy TEXT,
                        per_account INTEGER,
                        window_ms INTEGER,
                        cooldown_ms INTEGER,
                        max_retries INTEGER
                    ) STRICT""", """
                    CREATE TABLE settings (
                        key TEXT PRIMARY KEY,
                        value TEXT NOT NULL
                    ) STRICT"""),
            // 2: a revision counter that every write bumps in its own transaction, so that another
            // process sees a change with one cheap read instead of comparing data.
            List.of("""
                    CREATE TABLE store_meta (
                        key TEXT PRIMARY KEY,
                        value INTEGER NOT NULL
                    ) STRICT""",
                    "INSERT INTO store_meta (key, value) VALUES ('revision', 1)"));

    static final int VERSION = MIGRATIONS.size();

    private SqliteSchema() {
    }

    /** A database written by a newer Rotor, whose layout this one does not know. */
    static final class TooNewException extends Exception {
        TooNewException(int version) {
            super("its schema version " + version + " is newer than this Rotor's (" + VERSION
                    + "); use a newer Rotor");
        }
    }

    /**
     * Brings the schema up to {@link #VERSION}; the caller has begun an immediate transaction.
     *
     * @return the version the database had before
     */
    static int migrate(Connection connection) throws SQLException, TooNewException {
        int version = version(connection);
        if (version > VERSION) {
            throw new TooNewException(version);
        }
        try (Statement statement = connection.createStatement()) {
            for (int next = version; next < VERSION; next++) {
                for (String sql : MIGRATIONS.get(next)) {
                    statement.execute(sql);
                }
            }
            if (version != VERSION) {
                statement.execute("PRAGMA user_version = " + VERSION);
            }
        }
        return version;
    }

    static int version(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("PRAGMA user_version")) {
            return result.next() ? result.getInt(1) : 0;
        }
    }
}
