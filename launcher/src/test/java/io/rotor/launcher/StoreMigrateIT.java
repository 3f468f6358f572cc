package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rotor.api.Account;
import io.rotor.api.AccountStore;
import io.rotor.api.Pool;
import io.rotor.api.StoreSnapshot;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code rotor store migrate}: a faithful copy, an untouched source, nothing left by a failure. */
class StoreMigrateIT {

    @TempDir
    Path dir;
    private FakeOpenAi upstream;

    @BeforeEach
    void startUpstream() throws Exception {
        upstream = new FakeOpenAi();
    }

    @AfterEach
    void stopUpstream() {
        upstream.close();
    }

    private record Result(int exitCode, String out, String err) {
    }

    private static Result rotor(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream originalOut = System.out;
        PrintStream originalErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(originalOut);
            System.setErr(originalErr);
        }
    }

    private Map<String, String> settings(String store) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("store", store);
        settings.put("store.sqlite.path", "data/rotor.db");
        settings.put("upstream.fake.type", "openai");
        settings.put("upstream.fake.baseUrl", upstream.baseUrl());
        settings.put("upstream.fake.models", "fake-model");
        settings.put("rateLimit.perAccount", "0");
        return settings;
    }

    /** Writes {@code rotor.properties} for {@code store} (a harness that is not started). */
    private Path config(String store, Map<String, String> extra) {
        Map<String, String> settings = settings(store);
        settings.putAll(extra);
        return new RotorHarness(dir, settings).configFile;
    }

    private static StoreSnapshot snapshot(Path configFile, String store) {
        try (RotorRuntime runtime = RotorRuntime.startStores(RotorConfig.load(configFile), List.of(store))) {
            return runtime.store(store).snapshot();
        }
    }

    private static void assertSameContent(StoreSnapshot expected, StoreSnapshot actual) {
        assertEquals(expected.accounts(), actual.accounts());
        assertEquals(expected.users(), actual.users());
        assertEquals(expected.pools(), actual.pools());
        assertEquals(expected.settings(), actual.settings());
    }

    /** A JSON store with accounts that served traffic, a user, a pool and settings. */
    private String populateJsonStore() {
        String userKey;
        try (RotorHarness rotor = new RotorHarness(dir, settings("json")).start()) {
            upstream.key("sk-m1", FakeOpenAi.KeyRule.unlimited());
            upstream.key("sk-m2", FakeOpenAi.KeyRule.unlimited());
            rotor.addApiKeyAccount("fake", "sk-m1", "one");
            rotor.addApiKeyAccount("fake", "sk-m2", "two");
            userKey = rotor.addUser("mia");
            for (int i = 0; i < 3; i++) {
                assertEquals(200, rotor.chat(userKey, "fake-model", false).statusCode());
            }
        }
        try (RotorRuntime runtime = RotorRuntime.startStores(RotorConfig.load(dir.resolve("rotor.properties")),
                List.of("json"))) {
            AccountStore store = runtime.store("json");
            store.putPool(new Pool("team", "random", 5, null, 1_000L, 1));
            store.putSetting("custom", "kept");
            store.putSetting("masterKeyHash", "ab".repeat(32));
        }
        return userKey;
    }

    @Test
    void aRoundTripJsonToSqliteToJsonGivesAnEqualStoreAndLeavesTheSourceUntouched() throws Exception {
        String userKey = populateJsonStore();
        Path jsonConfig = config("json", Map.of());
        Path jsonFile = dir.resolve("data/accounts.json");
        byte[] jsonBefore = Files.readAllBytes(jsonFile);
        StoreSnapshot original = snapshot(jsonConfig, "json");
        assertEquals(3, original.accounts().stream().mapToLong(a -> a.stats().totalRequests()).sum());

        Result toSqlite = rotor("store", "migrate", "--to", "sqlite", "--config", jsonConfig.toString());

        assertEquals(0, toSqlite.exitCode(), toSqlite.err());
        assertTrue(toSqlite.out().contains("2 accounts"), toSqlite.out());
        assertTrue(toSqlite.out().contains("1 user\n"), toSqlite.out());
        assertTrue(toSqlite.out().contains("1 pool\n"), toSqlite.out());
        assertTrue(toSqlite.out().contains("2 settings"), toSqlite.out());
        assertTrue(toSqlite.out().contains("store = sqlite"), toSqlite.out());
        assertArrayEquals(jsonBefore, Files.readAllBytes(jsonFile), "the source was not changed");
        Path sqliteConfig = config("sqlite", Map.of("store.json.path", "back/accounts.json"));
        assertSameContent(original, snapshot(sqliteConfig, "sqlite"));

        Result toJson = rotor("store", "migrate", "--to", "json", "--config", sqliteConfig.toString());

        assertEquals(0, toJson.exitCode(), toJson.err());
        assertSameContent(original, snapshot(sqliteConfig, "json"));

        // Switching 'store' is all it takes: the same user key, accounts and statistics from SQLite.
        try (RotorHarness rotor = new RotorHarness(dir, settings("sqlite")).start()) {
            assertEquals(original.accounts().stream().map(Account::id).toList(),
                    rotor.admin().accounts().stream().map(Account::id).toList());
            assertEquals(200, rotor.chat(userKey, "fake-model", false).statusCode());
            assertEquals(4, rotor.admin().accounts().stream().mapToLong(a -> a.stats().totalRequests()).sum());
        }
    }

    @Test
    void refusesATargetThatHoldsDataUnlessForced() throws Exception {
        populateJsonStore();
        Path sqliteConfig = config("sqlite", Map.of());
        try (RotorHarness other = new RotorHarness(dir, settings("sqlite")).start()) {
            other.addUser("already-here");
        }
        StoreSnapshot targetBefore = snapshot(sqliteConfig, "sqlite");
        Path jsonConfig = config("json", Map.of());

        Result refused = rotor("store", "migrate", "--to", "sqlite", "--config", jsonConfig.toString());

        assertNotEquals(0, refused.exitCode());
        assertTrue(refused.err().contains("already holds 0 accounts, 1 user"), refused.err());
        assertTrue(refused.err().contains("--force"), refused.err());
        assertSameContent(targetBefore, snapshot(sqliteConfig, "sqlite"));

        Result forced = rotor("store", "migrate", "--to", "sqlite", "--force", "--config", jsonConfig.toString());

        assertEquals(0, forced.exitCode(), forced.err());
        assertSameContent(snapshot(jsonConfig, "json"), snapshot(sqliteConfig, "sqlite"));
    }

    @Test
    void aFailedMigrationLeavesNoTargetBehind() throws IOException {
        Path jsonFile = dir.resolve("data/accounts.json");
        Files.createDirectories(jsonFile.getParent());
        // A hand-edited file with one id twice: the copy fails once the target database has been created.
        String account = "{\"id\": \"acc_dup\", \"upstream\": \"openai\", \"apiKey\": \"aXY=:Y3Q=:dGFn\"}";
        Files.writeString(jsonFile, "{\"accounts\": [{\"id\": \"acc_ok\", \"upstream\": \"openai\"}, " + account
                + ", " + account + "]}");
        byte[] before = Files.readAllBytes(jsonFile);
        Path configFile = config("json", Map.of("store.sqlite.path", "fresh/nested/rotor.db"));

        Result failed = rotor("store", "migrate", "--to", "sqlite", "--config", configFile.toString());

        assertNotEquals(0, failed.exitCode());
        assertTrue(failed.err().startsWith("rotor: "), failed.err());
        assertTrue(failed.err().contains("acc_dup"), failed.err());
        assertFalse(Files.exists(dir.resolve("fresh")), "no database and no folder were left behind");
        assertArrayEquals(before, Files.readAllBytes(jsonFile));
    }

    @Test
    void aFailedForcedMigrationLeavesTheTargetAsItWas() throws IOException {
        try (RotorHarness other = new RotorHarness(dir, settings("sqlite")).start()) {
            other.addUser("kept");
        }
        Path sqliteConfig = config("sqlite", Map.of());
        StoreSnapshot targetBefore = snapshot(sqliteConfig, "sqlite");
        Path jsonFile = dir.resolve("data/accounts.json");
        String account = "{\"id\": \"acc_dup\", \"upstream\": \"openai\"}";
        Files.writeString(jsonFile, "{\"accounts\": [" + account + ", " + account + "]}");

        Result failed = rotor("store", "migrate", "--to", "sqlite", "--force", "--config",
                config("json", Map.of()).toString());

        assertNotEquals(0, failed.exitCode());
        assertSameContent(targetBefore, snapshot(sqliteConfig, "sqlite"));
        assertEquals(List.of("kept"), targetBefore.users().stream().map(io.rotor.api.User::name).toList());
    }

    @Test
    void migratingToTheConfiguredStoreOrAnUnknownOneIsRefused() {
        Path configFile = config("json", Map.of());

        Result same = rotor("store", "migrate", "--to", "json", "--config", configFile.toString());
        Result unknown = rotor("store", "migrate", "--to", "mysql", "--config", configFile.toString());

        assertNotEquals(0, same.exitCode());
        assertTrue(same.err().contains("already json"), same.err());
        assertNotEquals(0, unknown.exitCode());
        assertTrue(unknown.err().contains("--to must be one of json, sqlite"), unknown.err());
        assertFalse(Files.exists(dir.resolve("data")), "nothing was created");
    }

    @Test
    void anUnknownStoreInTheConfigIsAClearError() {
        Path configFile = config("mongo", Map.of());

        Result result = rotor("users", "list", "--config", configFile.toString());

        assertNotEquals(0, result.exitCode());
        assertEquals("rotor: store must be one of json, sqlite, got 'mongo'", result.err().strip());
    }
}
