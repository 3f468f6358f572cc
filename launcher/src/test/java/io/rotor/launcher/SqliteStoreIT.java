package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rotor.api.Account;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code store = sqlite}: Felix with the real bundles, the SQLite store, HTTP in, a fake upstream out. */
class SqliteStoreIT {

    @TempDir
    Path dir;
    private FakeOpenAi upstream;
    private RotorHarness rotor;

    @BeforeEach
    void startUpstream() throws Exception {
        upstream = new FakeOpenAi();
    }

    @AfterEach
    void stopAll() {
        if (rotor != null) {
            rotor.close();
        }
        upstream.close();
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

    @Test
    void servesThroughTheProxyFromSqliteAndKeepsEverythingAcrossARestart() throws Exception {
        rotor = new RotorHarness(dir, settings("sqlite")).start();
        upstream.key("sk-sqlite-canary-1", FakeOpenAi.KeyRule.unlimited());
        upstream.key("sk-sqlite-canary-2", FakeOpenAi.KeyRule.unlimited());
        String first = rotor.addApiKeyAccount("fake", "sk-sqlite-canary-1", "one").id();
        String second = rotor.addApiKeyAccount("fake", "sk-sqlite-canary-2", "two").id();
        String user = rotor.addUser("sam");
        Set<String> servedBy = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            HttpResponse<String> response = rotor.chat(user, "fake-model", false);
            assertEquals(200, response.statusCode(), response.body());
            servedBy.add(response.headers().firstValue("X-Rotor-Account").orElseThrow());
        }
        assertEquals(Set.of(first, second), servedBy);

        rotor.stop();
        Path database = dir.resolve("data/rotor.db");
        assertTrue(Files.exists(database));
        assertFalse(Files.exists(dir.resolve("data/accounts.json")), "the JSON store was not started");
        assertFalse(Files.exists(dir.resolve("data/accounts.json.lock")), "the JSON store was not started");
        String bytes = new String(Files.readAllBytes(database), StandardCharsets.ISO_8859_1);
        assertFalse(bytes.contains("sk-sqlite-canary"), "API key in plain text");
        assertFalse(bytes.contains(user), "user key in plain text");
        assertFalse(bytes.contains(RotorHarness.MASTER_KEY), "master key in plain text");

        rotor.start();
        List<Account> accounts = rotor.admin().accounts();
        assertEquals(List.of(first, second), accounts.stream().map(Account::id).toList());
        assertEquals(4, accounts.stream().mapToLong(a -> a.stats().totalRequests()).sum(),
                "statistics were flushed on stop and read back");
        assertEquals(4, accounts.stream().mapToLong(a -> a.stats().successfulRequests()).sum());
        assertEquals(200, rotor.chat(user, "fake-model", false).statusCode(), "the user's key still works");
    }

    @Test
    void aUserAddedByTheCliIsAcceptedByTheRunningServerWithoutARestart() throws Exception {
        rotor = new RotorHarness(dir, settings("sqlite")).start();
        upstream.key("sk-live", FakeOpenAi.KeyRule.unlimited());
        rotor.addApiKeyAccount("fake", "sk-live", "live");

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream originalOut = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.run("users", "add", "cli-user", "--config", rotor.configFile.toString());
        } finally {
            System.setOut(originalOut);
        }
        assertEquals(0, code, out.toString(StandardCharsets.UTF_8));
        Matcher key = Pattern.compile("API key \\(shown once, store it now\\): (rk-\\S+)")
                .matcher(out.toString(StandardCharsets.UTF_8));
        assertTrue(key.find());

        int status = 0;
        for (long deadline = System.nanoTime() + 10_000_000_000L; System.nanoTime() < deadline; Thread.sleep(100)) {
            status = rotor.chat(key.group(1), "fake-model", false).statusCode();
            if (status == 200) {
                break;
            }
        }
        assertEquals(200, status, "the server saw the CLI's write through the store's revision");
    }

    @Test
    void theJsonStoreCreatesNoSqliteFile() {
        rotor = new RotorHarness(dir, settings("json")).start();
        rotor.addUser("jo");
        rotor.stop();

        assertTrue(Files.exists(dir.resolve("data/accounts.json")));
        assertFalse(Files.exists(dir.resolve("data/rotor.db")), "the SQLite store was not started");
    }
}
