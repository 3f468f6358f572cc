package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /metrics} and {@code X-Request-Id}, through Felix with the real bundles. */
class MetricsIT {

    private static final String KEY_CANARY = "sk-metrics-canary-71c2";

    @TempDir
    Path dir;
    private FakeOpenAi upstream;
    private RotorHarness rotor;
    private final List<String> logLines = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            logLines.add(new java.util.logging.SimpleFormatter().formatMessage(record));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void start() throws Exception {
        Logger.getLogger("").addHandler(capture);
        upstream = new FakeOpenAi();
        upstream.key(KEY_CANARY, FakeOpenAi.KeyRule.unlimited());
        upstream.key("sk-limited", new FakeOpenAi.KeyRule(0, "30", 200));
        rotor = new RotorHarness(dir, Map.of(
                "upstream.fake.type", "openai",
                "upstream.fake.baseUrl", upstream.baseUrl(),
                "upstream.fake.models", "*",
                "rotation.strategy", "priority")).start();
    }

    @AfterEach
    void stop() {
        Logger.getLogger("").removeHandler(capture);
        rotor.close();
        upstream.close();
    }

    @Test
    void metricsCountRequestsRetriesCooldownsAndAccountsWithoutSecrets() {
        String limited = rotor.admin().addAccount(new io.rotor.api.NewAccount("fake", null, "limited", null,
                Map.of(io.rotor.api.Account.SECRET_API_KEY, "sk-limited"), 1, null, null, null, false)).id();
        String good = rotor.admin().addAccount(new io.rotor.api.NewAccount("fake", null, "good", null,
                Map.of(io.rotor.api.Account.SECRET_API_KEY, KEY_CANARY), 2, null, null, null, false)).id();
        String userKey = rotor.addUser("m");
        for (int i = 0; i < 3; i++) {
            assertEquals(200, rotor.chat(userKey, "gpt", false).statusCode());
        }
        assertEquals(401, rotor.chat("rk-wrong", "gpt", false).statusCode());

        HttpResponse<String> scrape = rotor.get("/metrics", null);
        assertEquals(200, scrape.statusCode());
        assertTrue(scrape.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        String text = scrape.body();
        assertEquals(3.0, sample(text, "rotor_requests_total", "account=\"" + good + "\"", "outcome=\"served\"",
                "pool=\"default\"", "status=\"200\""));
        assertEquals(1.0, sample(text, "rotor_requests_total", "outcome=\"invalid_api_key\"", "status=\"401\""));
        assertEquals(1.0, sample(text, "rotor_retries_total", "pool=\"default\""));
        assertEquals(1.0, sample(text, "rotor_cooldowns_total", "reason=\"upstream\""));
        assertEquals(1.0, sample(text, "rotor_accounts", "pool=\"default\"", "status=\"rate-limited\""));
        assertEquals(1.0, sample(text, "rotor_accounts", "pool=\"default\"", "status=\"active\""));
        assertEquals(0.0, sample(text, "rotor_requests_in_flight"));
        assertEquals(0.0, sample(text, "rotor_streams_open"));
        assertTrue(text.contains("rotor_upstream_latency_seconds_bucket{upstream=\"fake\""), "latency histogram");
        for (String secret : List.of(KEY_CANARY, "sk-limited", userKey, RotorHarness.MASTER_KEY)) {
            assertFalse(text.contains(secret), "metrics leak " + secret);
        }
        assertFalse(limited.isEmpty());
    }

    @Test
    void everyRequestGetsAnIdThatItsLogLinesCarry() {
        rotor.admin().addAccount(new io.rotor.api.NewAccount("fake", null, "limited", null,
                Map.of(io.rotor.api.Account.SECRET_API_KEY, "sk-limited"), 1, null, null, null, false));
        rotor.admin().addAccount(new io.rotor.api.NewAccount("fake", null, "good", null,
                Map.of(io.rotor.api.Account.SECRET_API_KEY, KEY_CANARY), 2, null, null, null, false));
        String userKey = rotor.addUser("r");
        HttpResponse<String> given = rotor.send(HttpRequest.newBuilder(URI.create(rotor.baseUrl() + "/v1/chat/completions"))
                .header("Authorization", "Bearer " + userKey).header("X-Request-Id", "req-trace-42")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"messages\":[]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, given.statusCode());
        assertEquals("req-trace-42", given.headers().firstValue("X-Request-Id").orElseThrow());
        assertTrue(logLines.stream().anyMatch(line -> line.contains("req-trace-42") && line.contains("rate-limited")),
                String.join("\n", logLines));

        HttpResponse<String> generated = rotor.chat(userKey, "m", false);
        assertTrue(generated.headers().firstValue("X-Request-Id").orElse("").matches("[0-9a-f-]{36}"));
        HttpResponse<String> error = rotor.chat("rk-wrong", "m", false);
        assertTrue(error.headers().firstValue("X-Request-Id").isPresent(), "errors carry the id too");
        assertTrue(rotor.call("GET", "/admin/stats", RotorHarness.MASTER_KEY, null).headers()
                .firstValue("X-Request-Id").isPresent());
    }

    /** The value of the one sample of {@code name} whose labels include all of {@code labels}. */
    private static double sample(String text, String name, String... labels) {
        Pattern line = Pattern.compile("^" + name + "(\\{[^}]*})? (\\S+)$", Pattern.MULTILINE);
        Matcher matcher = line.matcher(text);
        double found = Double.NaN;
        int matches = 0;
        while (matcher.find()) {
            String labelText = matcher.group(1) == null ? "" : matcher.group(1);
            if (java.util.Arrays.stream(labels).allMatch(labelText::contains)) {
                found = Double.parseDouble(matcher.group(2));
                matches++;
            }
        }
        assertEquals(1, matches, "samples of " + name + " " + String.join(",", labels) + " in\n" + text);
        return found;
    }
}
