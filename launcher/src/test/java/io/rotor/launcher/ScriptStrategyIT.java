package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** JavaScript strategies in Felix: a file in plugins/ picks the accounts, and edits apply while serving. */
class ScriptStrategyIT {

    private static final String LAST = "function pick(accounts, request) { return accounts[accounts.length - 1].id; }";
    private static final String FIRST = "function pick(accounts, request) { return accounts[0].id; }";

    @TempDir
    Path dir;
    private FakeOpenAi upstream;
    private RotorHarness rotor;
    private Path plugins;
    private List<String> ids;
    private String user;

    @BeforeEach
    void startUpstream() throws IOException {
        upstream = new FakeOpenAi();
        plugins = Files.createDirectories(dir.resolve("plugins"));
    }

    @AfterEach
    void stopAll() {
        if (rotor != null) {
            rotor.close();
        }
        upstream.close();
    }

    /** Starts Rotor with three accounts (sk-a, sk-b, sk-c, in that order) and one user. */
    private void start(Map<String, String> extra) {
        Map<String, String> settings = new LinkedHashMap<>(Map.of(
                "upstream.fake.type", "openai",
                "upstream.fake.baseUrl", upstream.baseUrl(),
                "upstream.fake.models", "fake-model",
                "rateLimit.perAccount", "0"));
        settings.putAll(extra);
        rotor = new RotorHarness(dir, settings).start();
        ids = new ArrayList<>();
        for (String key : List.of("sk-a", "sk-b", "sk-c")) {
            upstream.key(key, FakeOpenAi.KeyRule.unlimited());
            ids.add(rotor.addApiKeyAccount("fake", key, key).id());
        }
        user = rotor.addUser("alice");
    }

    private String servedBy() {
        HttpResponse<String> response = rotor.chat(user, "fake-model", false);
        assertEquals(200, response.statusCode(), response.body());
        return response.headers().firstValue("X-Rotor-Account").orElseThrow();
    }

    private List<String> servedBy(int requests) {
        List<String> served = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            served.add(servedBy());
        }
        return served;
    }

    /** Sends requests until one is served as {@code wanted} says; returns the milliseconds that took. */
    private long millisUntil(Predicate<String> wanted) throws InterruptedException {
        long start = System.nanoTime();
        while (!wanted.test(servedBy())) {
            assertTrue(System.nanoTime() - start < 10_000_000_000L, "the change never took effect");
            Thread.sleep(50);
        }
        return (System.nanoTime() - start) / 1_000_000;
    }

    @Test
    void aScriptInPluginsPicksTheAccountsAndEditingOrDeletingItTakesEffectWithinTwoSeconds() throws Exception {
        Files.writeString(plugins.resolve("last.js"), LAST);
        start(Map.of("rotation.strategy", "last"));

        assertEquals(List.of(ids.get(2), ids.get(2), ids.get(2), ids.get(2)), servedBy(4));

        Files.writeString(plugins.resolve("last.js"), FIRST);
        long edited = millisUntil(ids.get(0)::equals);
        assertTrue(edited < 2_000, "the edit took " + edited + " ms");
        assertEquals(List.of(ids.get(0), ids.get(0), ids.get(0)), servedBy(3));

        java.util.List<String> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Logger engineLog = java.util.logging.Logger.getLogger(
                "io.rotor.core.engine.internal.Strategies");
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                logged.add(java.text.MessageFormat.format(record.getMessage(),
                        record.getParameters() == null ? new Object[0] : record.getParameters()));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        engineLog.addHandler(capture);
        try {
            Files.delete(plugins.resolve("last.js"));
            long deleted = millisUntil(id -> !id.equals(ids.get(0)));
            assertTrue(deleted < 2_000, "the removal took " + deleted + " ms");
            // No script: the pool falls back to round-robin, and every request still succeeds.
            Set<String> rotated = new HashSet<>(servedBy(3));
            assertEquals(Set.copyOf(ids), rotated);
        } finally {
            engineLog.removeHandler(capture);
        }
        assertTrue(logged.contains("strategy 'last' of pool 'default' is not installed; using round-robin"),
                logged.toString());
        com.fasterxml.jackson.databind.JsonNode pool = RotorHarness.json(
                rotor.call("GET", "/admin/pools", RotorHarness.MASTER_KEY, null).body()).at("/data/0");
        assertEquals("default", pool.get("name").asText());
        assertEquals("last", pool.get("strategy").asText(), "the pool keeps its setting");
        assertEquals("round-robin", pool.get("activeStrategy").asText());
        assertTrue(pool.get("note").asText().contains("last"), pool.toString());
    }

    @Test
    void aScriptAddedWhileServingIsPickedUpAndOneThatFailsFallsBackToRoundRobin() throws Exception {
        start(Map.of("rotation.strategy", "later", "script.timeoutMs", "100"));
        assertEquals(Set.copyOf(ids), new HashSet<>(servedBy(3)), "not there yet: round-robin");

        Files.writeString(plugins.resolve("later.js"), LAST);
        long added = millisUntil(ids.get(2)::equals);
        assertTrue(added < 2_000, "adding took " + added + " ms");

        Files.writeString(plugins.resolve("later.js"), "function pick(accounts) { throw new Error('oops'); }");
        millisUntil(id -> !id.equals(ids.get(2)));
        Files.writeString(plugins.resolve("later.js"), "function pick(accounts) { for (;;) {} }");
        Thread.sleep(1_500);
        // Throwing, then looping for ever: every request is still served, in round-robin order.
        assertEquals(Set.copyOf(ids), new HashSet<>(servedBy(3)));
    }

    @Test
    void anExampleFromTheDistributionWorksWhenCopiedIntoPlugins() throws Exception {
        Path example = Path.of(System.getProperty("rotor.home"), "plugins", "examples", "least-recently-used.js");
        Files.copy(example, plugins.resolve("lru.js"));
        start(Map.of("rotation.strategy", "lru"));
        // Never-used accounts first, then the one idle longest: each account in turn.
        List<String> served = servedBy(6);
        assertEquals(Set.copyOf(ids), new HashSet<>(served.subList(0, 3)));
        assertEquals(served.subList(0, 3), served.subList(3, 6));
    }
}
