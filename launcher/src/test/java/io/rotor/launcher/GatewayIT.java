package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rotor.api.Account;
import io.rotor.api.AccountStatus;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gateway end to end: Felix with the real bundles, HTTP in, a fake OpenAI upstream out. */
class GatewayIT {

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

    private RotorHarness rotor(Map<String, String> extra) {
        Map<String, String> settings = new java.util.LinkedHashMap<>(Map.of(
                "upstream.fake.type", "openai",
                "upstream.fake.baseUrl", upstream.baseUrl(),
                "upstream.fake.models", "fake-model,fake-embed",
                "rateLimit.perAccount", "0",
                "rateLimit.cooldownMs", "1000"));
        settings.putAll(extra);
        rotor = new RotorHarness(dir, settings).start();
        return rotor;
    }

    @Test
    void roundRobinServesEachKeyInTurnAndNamesTheAccount() {
        rotor(Map.of());
        List<String> ids = new ArrayList<>();
        for (String key : List.of("sk-a", "sk-b", "sk-c")) {
            upstream.key(key, FakeOpenAi.KeyRule.unlimited());
            ids.add(rotor.addApiKeyAccount("fake", key, key).id());
        }
        String user = rotor.addUser("alice");
        List<String> servedBy = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            HttpResponse<String> response = rotor.chat(user, "fake-model", false);
            assertEquals(200, response.statusCode(), response.body());
            servedBy.add(response.headers().firstValue("X-Rotor-Account").orElseThrow());
            assertEquals("hello", RotorHarness.json(response.body()).at("/choices/0/message/content").asText());
        }
        assertEquals(List.of(ids.get(0), ids.get(1), ids.get(2), ids.get(0), ids.get(1), ids.get(2)), servedBy);
        assertEquals(2, upstream.served("sk-a"));
        assertEquals(2, upstream.served("sk-b"));
        assertEquals(2, upstream.served("sk-c"));
    }

    @Test
    void a429MovesTheRequestToTheNextKeyAndCoolsTheKeyForItsRetryAfter() {
        rotor(Map.of());
        upstream.key("sk-limited", new FakeOpenAi.KeyRule(0, "7", 200));
        upstream.key("sk-ok", FakeOpenAi.KeyRule.unlimited());
        String limited = rotor.addApiKeyAccount("fake", "sk-limited", "limited").id();
        String ok = rotor.addApiKeyAccount("fake", "sk-ok", "ok").id();
        String user = rotor.addUser("bob");

        Instant before = Instant.now();
        HttpResponse<String> first = rotor.chat(user, "fake-model", false);
        assertEquals(200, first.statusCode(), first.body());
        assertEquals(ok, first.headers().firstValue("X-Rotor-Account").orElseThrow());
        assertEquals(1, upstream.received("sk-limited"));

        for (int i = 0; i < 3; i++) {
            assertEquals(ok, rotor.chat(user, "fake-model", false).headers().firstValue("X-Rotor-Account").orElseThrow());
        }
        assertEquals(1, upstream.received("sk-limited"), "a cooling key is not tried again");
        Account cooled = rotor.admin().accounts().stream().filter(a -> a.id().equals(limited)).findFirst().orElseThrow();
        assertEquals(AccountStatus.RATE_LIMITED, cooled.status());
        // Retry-After: 7 wins over the configured 1 s cooldown.
        assertTrue(cooled.rateLimit().blockedUntil().isAfter(before.plusMillis(6_500)), cooled.rateLimit().toString());
        assertEquals(1, cooled.stats().rateLimitHits());
    }

    @Test
    void allKeysCoolingGives429NoAvailableAccountsWithRetryAfter() {
        rotor(Map.of("rateLimit.perAccount", "1", "rateLimit.cooldownMs", "20000"));
        upstream.key("sk-1", FakeOpenAi.KeyRule.unlimited());
        upstream.key("sk-2", FakeOpenAi.KeyRule.unlimited());
        rotor.addApiKeyAccount("fake", "sk-1", "one");
        rotor.addApiKeyAccount("fake", "sk-2", "two");
        String user = rotor.addUser("carol");
        assertEquals(200, rotor.chat(user, "fake-model", false).statusCode());
        assertEquals(200, rotor.chat(user, "fake-model", false).statusCode());

        HttpResponse<String> refused = rotor.chat(user, "fake-model", false);
        assertEquals(429, refused.statusCode());
        JsonNode error = RotorHarness.json(refused.body()).get("error");
        assertEquals("NO_AVAILABLE_ACCOUNTS", error.get("code").asText());
        long retryAfterMs = error.get("retry_after_ms").asLong();
        assertTrue(retryAfterMs > 15_000 && retryAfterMs <= 20_000, "retry_after_ms=" + retryAfterMs);
        long header = Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow());
        assertEquals((retryAfterMs + 999) / 1000, header);
        assertEquals(2, upstream.received("sk-1") + upstream.received("sk-2"), "nothing more was sent upstream");
    }

    @Test
    void everyAttemptRateLimitedUpstreamGivesRateLimitExceeded() {
        rotor(Map.of());
        upstream.key("sk-x", new FakeOpenAi.KeyRule(0, "30", 200));
        upstream.key("sk-y", new FakeOpenAi.KeyRule(0, "30", 200));
        rotor.addApiKeyAccount("fake", "sk-x", "x");
        rotor.addApiKeyAccount("fake", "sk-y", "y");
        HttpResponse<String> response = rotor.chat(rotor.addUser("dan"), "fake-model", false);
        assertEquals(429, response.statusCode());
        JsonNode error = RotorHarness.json(response.body()).get("error");
        assertEquals("RATE_LIMIT_EXCEEDED", error.get("code").asText());
        assertTrue(error.get("retry_after_ms").asLong() > 25_000);
        assertTrue(response.headers().firstValue("Retry-After").isPresent());
    }

    @Test
    void upstreamErrorsAreRetriedOnAnotherAccountAndInvalidKeysAreMarked() {
        rotor(Map.of());
        upstream.key("sk-broken", new FakeOpenAi.KeyRule(Integer.MAX_VALUE, null, 503));
        upstream.key("sk-good", FakeOpenAi.KeyRule.unlimited());
        String revoked = rotor.addApiKeyAccount("fake", "sk-revoked", "revoked").id(); // unknown to upstream: 401
        rotor.addApiKeyAccount("fake", "sk-broken", "broken");
        String good = rotor.addApiKeyAccount("fake", "sk-good", "good").id();
        HttpResponse<String> response = rotor.chat(rotor.addUser("erin"), "fake-model", false);
        assertEquals(200, response.statusCode(), response.body());
        assertEquals(good, response.headers().firstValue("X-Rotor-Account").orElseThrow());
        Account invalid = rotor.admin().accounts().stream().filter(a -> a.id().equals(revoked)).findFirst().orElseThrow();
        assertEquals(AccountStatus.INVALID, invalid.status());
    }

    @Test
    void aStreamedResponseReachesTheClientBeforeTheUpstreamHasFinished() throws Exception {
        rotor(Map.of());
        upstream.key("sk-s", FakeOpenAi.KeyRule.unlimited());
        rotor.addApiKeyAccount("fake", "sk-s", "s");
        String user = rotor.addUser("frank");
        CountDownLatch gate = upstream.holdStreams();
        HttpRequest request = HttpRequest.newBuilder(URI.create(rotor.baseUrl() + "/v1/chat/completions"))
                .header("Authorization", "Bearer " + user)
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"fake-model\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                .build();
        HttpResponse<InputStream> response = rotor.send(request, HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        assertNotNull(response.headers().firstValue("X-Rotor-Account").orElse(null));
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String firstLine = reader.readLine();
            // The upstream is still holding the rest of its stream: this chunk was relayed as it arrived.
            assertEquals(1, gate.getCount());
            assertTrue(firstLine.contains("\"Hel\""), firstLine);
            gate.countDown();
            StringBuilder rest = new StringBuilder();
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                rest.append(line).append('\n');
            }
            assertTrue(rest.toString().contains("\"lo\""));
            assertTrue(rest.toString().contains("data: [DONE]"));
        }
    }

    @Test
    void anUnknownOrMissingUserKeyGets401() {
        rotor(Map.of());
        HttpResponse<String> unknown = rotor.chat("rk-not-a-key", "fake-model", false);
        assertEquals(401, unknown.statusCode());
        JsonNode error = RotorHarness.json(unknown.body()).get("error");
        assertEquals("invalid_api_key", error.get("code").asText());
        assertEquals("authentication_error", error.get("type").asText());
        assertTrue(error.has("param"));
        assertFalse(unknown.body().contains("rk-not-a-key"), "the presented key is never echoed");
        assertEquals(401, rotor.chat(null, "fake-model", false).statusCode());
    }

    @Test
    void unknownModelAndMalformedBodyAreContractErrors() {
        rotor(Map.of());
        upstream.key("sk-m", FakeOpenAi.KeyRule.unlimited());
        rotor.addApiKeyAccount("fake", "sk-m", "m");
        String user = rotor.addUser("gina");
        HttpResponse<String> unknownModel = rotor.chat(user, "no-such-model", false);
        assertEquals(400, unknownModel.statusCode());
        assertEquals("model_not_found", RotorHarness.json(unknownModel.body()).at("/error/code").asText());
        HttpResponse<String> malformed = rotor.post("/v1/chat/completions", user, "{\"model\": ");
        assertEquals(400, malformed.statusCode());
        assertEquals("invalid_request", RotorHarness.json(malformed.body()).at("/error/code").asText());
        assertEquals(0, upstream.received("sk-m"));
    }

    @Test
    void embeddingsAndModelsAreProxied() {
        rotor(Map.of());
        upstream.key("sk-e", FakeOpenAi.KeyRule.unlimited());
        String id = rotor.addApiKeyAccount("fake", "sk-e", "e").id();
        String user = rotor.addUser("hank");
        HttpResponse<String> embeddings = rotor.post("/v1/embeddings", user, "{\"model\":\"fake-embed\",\"input\":\"x\"}");
        assertEquals(200, embeddings.statusCode(), embeddings.body());
        assertEquals(id, embeddings.headers().firstValue("X-Rotor-Account").orElseThrow());
        HttpResponse<String> models = rotor.get("/v1/models", user);
        assertEquals(200, models.statusCode(), models.body());
        List<String> ids = new ArrayList<>();
        RotorHarness.json(models.body()).get("data").forEach(m -> ids.add(m.get("id").asText()));
        assertEquals(List.of("fake-model", "fake-embed"), ids);
        assertEquals("{\"status\":\"ok\"}", rotor.get("/health", null).body().replace(" ", ""));
    }

    @Test
    void aRestartKeepsAccountsUsersAndStatistics() {
        rotor(Map.of());
        upstream.key("sk-r", FakeOpenAi.KeyRule.unlimited());
        String id = rotor.addApiKeyAccount("fake", "sk-r", "r").id();
        String user = rotor.addUser("ivy");
        for (int i = 0; i < 3; i++) {
            assertEquals(200, rotor.chat(user, "fake-model", false).statusCode());
        }
        rotor.stop();
        rotor.start();
        Account account = rotor.admin().accounts().stream().filter(a -> a.id().equals(id)).findFirst().orElseThrow();
        assertEquals(3, account.stats().totalRequests());
        assertEquals(3, account.stats().successfulRequests());
        assertEquals(1, rotor.admin().users().size());
        assertEquals(200, rotor.chat(user, "fake-model", false).statusCode(), "the user's key still works");
    }

    @Test
    void theStoreFileHoldsNoSecretInPlainText() throws Exception {
        rotor(Map.of());
        String apiKey = "sk-canary-7f3a9c1e5b";
        upstream.key(apiKey, FakeOpenAi.KeyRule.unlimited());
        rotor.addApiKeyAccount("fake", apiKey, "canary");
        String userKey = rotor.addUser("jack");
        assertEquals(200, rotor.chat(userKey, "fake-model", false).statusCode());
        rotor.stop();
        String file = Files.readString(rotor.storeFile());
        assertFalse(file.contains(apiKey), "API key in plain text");
        assertFalse(file.contains(userKey), "user key in plain text");
        assertFalse(file.contains(RotorHarness.MASTER_KEY), "master key in plain text");
        JsonNode account = RotorHarness.json(file).get("accounts").get(0);
        assertTrue(account.get("apiKey").asText().matches("[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+"));
        assertEquals("aes-256-gcm", account.get("encryptionMethod").asText());
    }

    @Test
    void theConfiguredStrategyIsUsedPriorityFirstThenTheBackup() {
        rotor(Map.of("rotation.strategy", "priority"));
        upstream.key("sk-backup", FakeOpenAi.KeyRule.unlimited());
        upstream.key("sk-primary", new FakeOpenAi.KeyRule(2, "60", 200));
        String backup = rotor.admin().addAccount(new io.rotor.api.NewAccount("fake", null, "backup", null,
                Map.of(Account.SECRET_API_KEY, "sk-backup"), 5, null, null, null, false)).id();
        String primary = rotor.admin().addAccount(new io.rotor.api.NewAccount("fake", null, "primary", null,
                Map.of(Account.SECRET_API_KEY, "sk-primary"), 1, null, null, null, false)).id();
        String user = rotor.addUser("kim");
        List<String> servedBy = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            servedBy.add(rotor.chat(user, "fake-model", false).headers().firstValue("X-Rotor-Account").orElseThrow());
        }
        // The primary serves until its upstream limit answers 429, then the backup takes over.
        assertEquals(List.of(primary, primary, backup, backup), servedBy);
    }
}
