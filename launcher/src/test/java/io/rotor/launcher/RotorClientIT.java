package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rotor.api.Account;
import io.rotor.api.AccountStatus;
import io.rotor.api.ErrorCode;
import io.rotor.api.NewAccount;
import io.rotor.client.ChunkStream;
import io.rotor.client.RotorClient;
import io.rotor.client.RotorClientException;
import io.rotor.client.RotorResponse;
import io.rotor.client.RotorStats;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The in-process client on the real bundles of the distribution, against a fake OpenAI upstream. */
class RotorClientIT {

    private static final Map<String, Object> HELLO = Map.of("model", "fake-model",
            "messages", List.of(Map.of("role", "user", "content", "hi")));

    @TempDir
    Path dir;
    private FakeOpenAi upstream;
    private RotorClient client;

    @BeforeEach
    void startUpstream() throws Exception {
        upstream = new FakeOpenAi();
    }

    @AfterEach
    void stopAll() {
        if (client != null) {
            client.close();
        }
        upstream.close();
    }

    private Map<String, String> settings(Map<String, String> extra) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("store.json.path", dir.resolve("data/accounts.json").toString());
        settings.put("plugins.dir", dir.resolve("plugins").toString());
        settings.put("security.encryptionKey", RotorHarness.ENCRYPTION_KEY);
        settings.put("accounts.autoValidateOnAdd", "false");
        settings.put("upstream.fake.type", "openai");
        settings.put("upstream.fake.baseUrl", upstream.baseUrl());
        settings.put("upstream.fake.models", "fake-model,fake-embed");
        settings.put("rateLimit.perAccount", "0");
        settings.put("rateLimit.cooldownMs", "1000");
        settings.putAll(extra);
        return settings;
    }

    private RotorClient start(Map<String, String> extra) {
        client = RotorClient.start(settings(extra));
        return client;
    }

    private String addAccount(String key, String pool, Integer maxConcurrent) {
        return client.admin().addAccount(new NewAccount("fake", pool, key, null, Map.of(Account.SECRET_API_KEY, key),
                null, null, null, maxConcurrent, false)).id();
    }

    private String addAccount(String key) {
        upstream.key(key, FakeOpenAi.KeyRule.unlimited());
        return addAccount(key, null, null);
    }

    @Test
    void createReturnsTheBodyAndTheAccountThatServedItRotatingAcrossAccounts() {
        start(Map.of());
        List<String> ids = List.of(addAccount("sk-a"), addAccount("sk-b"), addAccount("sk-c"));
        List<String> servedBy = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            RotorResponse response = client.chat().completions().create(HELLO);
            assertEquals("hello", response.body().at("/choices/0/message/content").asText());
            String key = response.body().get("served_by").asText();
            assertEquals(ids.get(List.of("sk-a", "sk-b", "sk-c").indexOf(key)), response.accountId(),
                    "the account named is the one whose key the upstream saw");
            servedBy.add(response.accountId());
        }
        assertEquals(List.of(ids.get(0), ids.get(1), ids.get(2), ids.get(0), ids.get(1), ids.get(2)), servedBy);
        assertEquals(2, upstream.served("sk-a"));
    }

    @Test
    void aRequestCanBeJsonTextOrAJsonNodeAndEmbeddingsAndModelsWorkToo() {
        start(Map.of());
        String id = addAccount("sk-one");
        JsonNode node = RotorHarness.json("{\"model\":\"fake-model\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        assertEquals(id, client.chat().completions().create(node).accountId());
        assertFalse(node.has("stream"), "the caller's request is left as it was");
        RotorResponse fromText = client.chat().completions().create(node.toString());
        assertEquals("chat.completion", fromText.body().get("object").asText());

        RotorResponse embedding = client.embeddings().create(Map.of("model", "fake-embed", "input", "x"));
        assertEquals(0.2, embedding.body().at("/data/0/embedding/1").asDouble());
        assertEquals(id, embedding.accountId());
        RotorResponse models = client.models();
        assertTrue(models.body().get("data").findValuesAsText("id").contains("fake-model"), models.body().toString());
        assertEquals(4, upstream.served("sk-one"));
    }

    @Test
    void a429OnOneKeyMovesTheRequestToTheNextAccountAndCoolsTheFirstDown() {
        start(Map.of());
        upstream.key("sk-limited", new FakeOpenAi.KeyRule(0, "7", 200));
        String limited = addAccount("sk-limited", null, null);
        String ok = addAccount("sk-ok");

        assertEquals(ok, client.chat().completions().create(HELLO).accountId());
        assertEquals(ok, client.chat().completions().create(HELLO).accountId());
        assertEquals(1, upstream.received("sk-limited"), "a cooling key is not tried again");
        RotorStats.AccountEntry cooled = client.stats().accounts().stream().filter(a -> a.id().equals(limited))
                .findFirst().orElseThrow();
        assertEquals(AccountStatus.RATE_LIMITED, cooled.status());
        assertEquals(1, cooled.stats().rateLimitHits());
    }

    @Test
    void allAccountsCoolingGiveNoAvailableAccountsWithRetryAfterUntilRateLimitsAreReset() {
        start(Map.of("rateLimit.perAccount", "1", "rateLimit.cooldownMs", "20000"));
        addAccount("sk-1");
        addAccount("sk-2");
        client.chat().completions().create(HELLO);
        client.chat().completions().create(HELLO);

        RotorClientException refused = assertThrows(RotorClientException.class,
                () -> client.chat().completions().create(HELLO));
        assertEquals("NO_AVAILABLE_ACCOUNTS", refused.code());
        assertTrue(refused.is(ErrorCode.NO_AVAILABLE_ACCOUNTS));
        assertEquals(429, refused.status());
        assertTrue(refused.retryAfterMs() > 15_000 && refused.retryAfterMs() <= 20_000, "" + refused.retryAfterMs());
        assertNull(refused.accountId());
        assertEquals(2, upstream.received("sk-1") + upstream.received("sk-2"), "nothing more was sent upstream");

        assertEquals(2, client.resetRateLimits());
        assertTrue(client.stats().accounts().stream().allMatch(a -> a.status() == AccountStatus.ACTIVE));
        client.chat().completions().create(HELLO);
        assertEquals(3, upstream.served("sk-1") + upstream.served("sk-2"));
    }

    @Test
    void everyAttemptRateLimitedUpstreamGivesRateLimitExceeded() {
        start(Map.of());
        upstream.key("sk-x", new FakeOpenAi.KeyRule(0, "30", 200));
        addAccount("sk-x", null, null);
        RotorClientException limited = assertThrows(RotorClientException.class,
                () -> client.chat().completions().create(HELLO));
        assertEquals("RATE_LIMIT_EXCEEDED", limited.code());
        assertTrue(limited.retryAfterMs() > 25_000, "" + limited.retryAfterMs());
    }

    @Test
    void aStreamDeliversEachChunkBeforeTheUpstreamHasFinished() {
        start(Map.of());
        String id = addAccount("sk-s");
        CountDownLatch gate = upstream.holdStreams();
        List<String> deltas = new ArrayList<>();
        try (ChunkStream stream = client.chat().completions().stream(HELLO)) {
            assertEquals(id, stream.accountId());
            JsonNode first = stream.next();
            // The upstream is still holding the rest of its stream: this chunk was handed over as it arrived.
            assertEquals(1, gate.getCount());
            deltas.add(first.at("/choices/0/delta/content").asText());
            gate.countDown();
            for (JsonNode chunk : stream) {
                deltas.add(chunk.at("/choices/0/delta/content").asText());
            }
            assertFalse(stream.hasNext());
        }
        assertEquals(List.of("Hel", "lo"), deltas);
        RotorStats.AccountEntry account = client.stats().accounts().get(0);
        assertEquals(1, account.stats().successfulRequests(), "a stream read to [DONE] counts as served");
    }

    @Test
    void closingAStreamEarlyCancelsTheUpstreamCallAndFreesTheAccount() throws Exception {
        start(Map.of());
        upstream.key("sk-busy", FakeOpenAi.KeyRule.unlimited());
        String id = addAccount("sk-busy", null, 1);
        CountDownLatch gate = upstream.holdStreams();
        try (ChunkStream stream = client.chat().completions().stream(HELLO)) {
            assertEquals("Hel", stream.next().at("/choices/0/delta/content").asText());
            RotorClientException busy = assertThrows(RotorClientException.class,
                    () -> client.chat().completions().create(HELLO), "maxConcurrent 1: the account is busy");
            assertEquals("NO_AVAILABLE_ACCOUNTS", busy.code());
        }
        assertTrue(upstream.awaitCancelledStream(10), "the upstream saw its client go away");
        assertEquals(1, gate.getCount(), "the upstream had not finished");
        assertEquals(id, client.chat().completions().create(HELLO).accountId(), "the account is free again");
    }

    @Test
    void badRequestsGetTheContractsErrorsAndUpstreamRefusalsComeBackWithTheirStatus() {
        start(Map.of());
        upstream.key("sk-400", new FakeOpenAi.KeyRule(Integer.MAX_VALUE, null, 400));
        String id = addAccount("sk-400", null, null);

        RotorClientException notJson = assertThrows(RotorClientException.class,
                () -> client.chat().completions().create("{not json"));
        assertEquals("invalid_request", notJson.code());
        assertEquals(400, notJson.status());
        RotorClientException streamFlag = assertThrows(RotorClientException.class,
                () -> client.chat().completions().create(Map.of("model", "fake-model", "stream", true)));
        assertEquals("stream", streamFlag.param());
        RotorClientException noModel = assertThrows(RotorClientException.class,
                () -> client.chat().completions().create(Map.of("messages", List.of())));
        assertEquals("invalid_request", noModel.code());
        RotorClientException unknownModel = assertThrows(RotorClientException.class,
                () -> client.chat().completions().create(Map.of("model", "nope", "messages", List.of())));
        assertEquals("model_not_found", unknownModel.code());
        assertEquals(0, upstream.received("sk-400"), "no bad request reached the upstream");

        RotorClientException refused = assertThrows(RotorClientException.class,
                () -> client.chat().completions().create(HELLO));
        assertEquals(400, refused.status());
        assertEquals(id, refused.accountId());
        assertTrue(refused.getMessage().contains("upstream trouble"), refused.getMessage());
        assertEquals(1, upstream.received("sk-400"), "a 400 is not retried");
    }

    @Test
    void statsCountEveryRequestAndCloseFlushesThemToTheStore() throws Exception {
        start(Map.of());
        upstream.key("sk-limited", new FakeOpenAi.KeyRule(0, "30", 200));
        addAccount("sk-limited", null, null);
        addAccount("sk-ok");
        for (int i = 0; i < 3; i++) {
            client.chat().completions().create(HELLO);
        }
        RotorStats stats = client.stats();
        assertEquals(2, stats.totals().totalAccounts());
        assertEquals(4, stats.totals().totalRequests(), "3 served and one 429");
        assertEquals(3, stats.totals().successfulRequests());
        assertEquals(1, stats.totals().rateLimitHits());
        client.close();
        client = null;
        JsonNode stored = RotorHarness.json(Files.readString(dir.resolve("data/accounts.json")));
        long total = 0;
        for (JsonNode account : stored.get("accounts")) {
            total += account.at("/stats/totalRequests").asLong();
        }
        assertEquals(4, total);
        assertFalse(stored.toString().contains("masterKeyHash"), "no master key was generated");
        assertThrows(IllegalArgumentException.class, () -> RotorClient.builder().pool("a").userKey("b").start());
    }

    @Test
    void noPortIsOpenedEvenWhereTheConfigNamesOne() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        start(Map.of("server.port", String.valueOf(port)));
        addAccount("sk-p");
        client.chat().completions().create(HELLO);
        try (ServerSocket free = new ServerSocket(port, 50, InetAddress.getLoopbackAddress())) {
            assertEquals(port, free.getLocalPort(), "the client did not listen on server.port");
        }
    }

    @Test
    void aClientServesFromItsPoolOrAsTheUserWhoseKeyItWasGiven() {
        start(Map.of());
        addAccount("sk-default");
        upstream.key("sk-team", FakeOpenAi.KeyRule.unlimited());
        String team = addAccount("sk-team", "team", null);
        String userKey = client.admin().addUser("ann", "team").apiKey();
        client.close();

        client = RotorClient.builder().properties(settings(Map.of())).pool("team").start();
        assertEquals(team, client.chat().completions().create(HELLO).accountId());
        client.close();
        client = RotorClient.builder().properties(settings(Map.of())).userKey(userKey).start();
        assertEquals(team, client.chat().completions().create(HELLO).accountId());
        client.close();
        client = null;

        RotorClientException unknown = assertThrows(RotorClientException.class,
                () -> RotorClient.builder().properties(settings(Map.of())).userKey("rk-unknown").start());
        assertEquals("invalid_api_key", unknown.code());
        assertFalse(unknown.getMessage().contains("rk-unknown"));
        RotorClient badPool = RotorClient.builder().properties(settings(Map.of())).pool("../etc").start();
        try (badPool) {
            RotorClientException malformed = assertThrows(RotorClientException.class,
                    () -> badPool.chat().completions().create(HELLO));
            assertEquals("pool", malformed.param());
        }
    }
}
