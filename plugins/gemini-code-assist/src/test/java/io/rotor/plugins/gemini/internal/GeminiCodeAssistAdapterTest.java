package io.rotor.plugins.gemini.internal;

import static io.rotor.plugins.gemini.internal.Fixtures.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rotor.api.Account;
import io.rotor.api.Endpoint;
import io.rotor.api.Upstream;
import io.rotor.api.UpstreamCall;
import io.rotor.api.UpstreamResponse;
import io.rotor.transport.http.internal.OkHttpUpstreamClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockResponseBody;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okio.BufferedSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The adapter over the real upstream client against a fake Google: OAuth token endpoint and Code Assist. */
@Timeout(30)
class GeminiCodeAssistAdapterTest {

    private static final Instant START = Instant.parse("2026-03-01T10:00:00Z");
    private static final String REFRESH_TOKEN = "1//refresh-token-secret";
    private static final String CREDENTIAL = "{\"type\":\"authorized_user\",\"refresh_token\":\"" + REFRESH_TOKEN + "\"}";
    private static final String CHAT = "{\"model\":\"gemini-2.5-pro\",\"messages\":[{\"role\":\"system\",\"content\":"
            + "\"Be brief.\"},{\"role\":\"user\",\"content\":\"Hi\"}]}";
    private static final String ANSWER = "{\"response\":{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":"
            + "[{\"text\":\"Hello!\"}]},\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":4,"
            + "\"candidatesTokenCount\":2,\"totalTokenCount\":6}},\"traceId\":\"trace-1\"}";
    private static final String LOADED = "{\"currentTier\":{\"id\":\"free-tier\"},\"cloudaicompanionProject\":"
            + "\"brave-owl-123\"}";

    private final MockWebServer google = new MockWebServer();
    private final Fixtures.MovableClock clock = new Fixtures.MovableClock(START);
    private OkHttpUpstreamClient http;
    private GeminiCodeAssistAdapter adapter;

    @BeforeEach
    void start() throws IOException {
        google.start();
        http = Fixtures.http();
        adapter = new GeminiCodeAssistAdapter(http, clock, Duration.ofMillis(10));
    }

    @AfterEach
    void stop() {
        http.close();
        google.close();
    }

    @Test
    void refreshesTheTokenWithTheGeminiCliClientFindsTheProjectAndAnswersInOpenAisShape() throws Exception {
        google.enqueue(token("ya29.first", 3600));
        google.enqueue(json200(LOADED));
        google.enqueue(json200(ANSWER));

        JsonNode completion;
        try (UpstreamResponse response = adapter.send(chat(CREDENTIAL, false))) {
            assertEquals(200, response.status());
            assertEquals("application/json", response.header("Content-Type"));
            completion = json(body(response));
        }
        assertEquals("Hello!", completion.at("/choices/0/message/content").asText());
        assertEquals("stop", completion.at("/choices/0/finish_reason").asText());
        assertEquals(6, completion.at("/usage/total_tokens").asInt());
        assertEquals("gemini-2.5-pro", completion.get("model").asText());

        RecordedRequest refresh = google.takeRequest();
        assertEquals("/token", refresh.getTarget());
        assertTrue(refresh.getHeaders().get("Content-Type").startsWith("application/x-www-form-urlencoded"));
        Map<String, String> form = form(refresh.getBody().utf8());
        assertEquals(GoogleOAuth.GEMINI_CLI_CLIENT_ID, form.get("client_id"));
        assertEquals(GoogleOAuth.GEMINI_CLI_CLIENT_SECRET, form.get("client_secret"));
        assertEquals(REFRESH_TOKEN, form.get("refresh_token"));
        assertEquals("refresh_token", form.get("grant_type"));

        RecordedRequest load = google.takeRequest();
        assertEquals("/v1internal:loadCodeAssist", load.getTarget());
        assertEquals("Bearer ya29.first", load.getHeaders().get("Authorization"));
        JsonNode metadata = json(load.getBody().utf8()).get("metadata");
        assertEquals("IDE_UNSPECIFIED", metadata.get("ideType").asText());
        assertEquals("PLATFORM_UNSPECIFIED", metadata.get("platform").asText());
        assertEquals("GEMINI", metadata.get("pluginType").asText());

        RecordedRequest generate = google.takeRequest();
        assertEquals("/v1internal:generateContent", generate.getTarget());
        assertEquals("Bearer ya29.first", generate.getHeaders().get("Authorization"));
        JsonNode payload = json(generate.getBody().utf8());
        assertEquals("gemini-2.5-pro", payload.get("model").asText());
        assertEquals("brave-owl-123", payload.get("project").asText());
        assertEquals("Be brief.", payload.at("/request/systemInstruction/parts/0/text").asText());
        assertEquals("Hi", payload.at("/request/contents/0/parts/0/text").asText());
    }

    @Test
    void usesTheCredentialsOwnClientThenTheConfiguredOne() throws Exception {
        google.enqueue(token("ya29.a", 3600));
        google.enqueue(token("ya29.b", 3600));
        String own = "{\"refresh_token\":\"r-own\",\"client_id\":\"own-id\",\"client_secret\":\"own-secret\"}";

        assertNull(adapter.validate(chat(own, false)));
        Map<String, String> props = new HashMap<>(upstream().properties());
        props.put("clientId", "configured-id");
        props.put("clientSecret", "configured-secret");
        Upstream configured = new Upstream("gemini-code-assist", "gemini-code-assist", upstream().baseUrl(),
                upstream().models(), props);
        assertNull(adapter.validate(call(configured, CREDENTIAL, Endpoint.CHAT_COMPLETIONS, false, CHAT)));

        Map<String, String> first = form(google.takeRequest().getBody().utf8());
        assertEquals("own-id", first.get("client_id"));
        assertEquals("own-secret", first.get("client_secret"));
        Map<String, String> second = form(google.takeRequest().getBody().utf8());
        assertEquals("configured-id", second.get("client_id"));
        assertEquals("configured-secret", second.get("client_secret"));
    }

    @Test
    void cachesTheAccessTokenUntilFiveMinutesBeforeItExpiresAndTheProjectForGood() throws Exception {
        google.enqueue(token("ya29.first", 3600));
        google.enqueue(json200(LOADED));
        google.enqueue(json200(ANSWER));
        google.enqueue(json200(ANSWER));
        google.enqueue(token("ya29.second", 3600));
        google.enqueue(json200(ANSWER));

        send(chat(CREDENTIAL, false));
        clock.advance(Duration.ofMinutes(54).plusSeconds(59));
        send(chat(CREDENTIAL, false));
        clock.advance(Duration.ofSeconds(1));
        send(chat(CREDENTIAL, false));

        List<String> targets = new ArrayList<>();
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            RecordedRequest request = google.takeRequest();
            targets.add(request.getTarget());
            tokens.add(request.getHeaders().get("Authorization"));
        }
        assertEquals(List.of("/token", "/v1internal:loadCodeAssist", "/v1internal:generateContent",
                "/v1internal:generateContent", "/token", "/v1internal:generateContent"), targets);
        assertEquals("Bearer ya29.first", tokens.get(3));
        assertEquals("Bearer ya29.second", tokens.get(5));
    }

    @Test
    void usesTheAccessTokenStoredWithTheCredentialUntilFiveMinutesBeforeItsExpiryDate() throws Exception {
        String stored = "{\"refresh_token\":\"r-stored\",\"access_token\":\"ya29.stored\",\"expiry_date\":"
                + START.plus(Duration.ofMinutes(10)).toEpochMilli() + ",\"project_id\":\"my-project\"}";
        google.enqueue(json200(ANSWER));
        google.enqueue(token("ya29.refreshed", 3600));
        google.enqueue(json200(ANSWER));

        send(chat(stored, false));
        clock.advance(Duration.ofMinutes(5));
        send(chat(stored, false));

        RecordedRequest first = google.takeRequest();
        assertEquals("Bearer ya29.stored", first.getHeaders().get("Authorization"));
        assertEquals("my-project", json(first.getBody().utf8()).get("project").asText(), "no discovery with an override");
        assertEquals("/token", google.takeRequest().getTarget());
        assertEquals("Bearer ya29.refreshed", google.takeRequest().getHeaders().get("Authorization"));
    }

    @Test
    void theConfiguredProjectIsUsedWithoutDiscovery() throws Exception {
        google.enqueue(token("ya29.t", 3600));
        google.enqueue(json200(ANSWER));
        Map<String, String> props = new HashMap<>(upstream().properties());
        props.put("project", "team-project");
        Upstream configured = new Upstream("gemini-code-assist", "gemini-code-assist", upstream().baseUrl(),
                upstream().models(), props);

        send(call(configured, CREDENTIAL, Endpoint.CHAT_COMPLETIONS, false, CHAT));

        google.takeRequest();
        assertEquals("team-project", json(google.takeRequest().getBody().utf8()).get("project").asText());
    }

    @Test
    void anInvalidGrantIsA401ThatNamesNoSecretAndValidateExplainsIt() throws Exception {
        String refused = "{\"error\":\"invalid_grant\",\"error_description\":\"Token has been expired or revoked.\"}";
        google.enqueue(new MockResponse.Builder().code(400).addHeader("Content-Type", "application/json")
                .body(refused).build());
        google.enqueue(new MockResponse.Builder().code(400).addHeader("Content-Type", "application/json")
                .body(refused).build());

        try (UpstreamResponse response = adapter.send(chat(CREDENTIAL, false))) {
            assertEquals(401, response.status());
            String text = body(response);
            assertTrue(json(text).at("/error/message").asText().contains("invalid_grant"), text);
            assertFalse(text.contains(REFRESH_TOKEN));
        }
        assertEquals("Google refused the refresh token (HTTP 400, invalid_grant).",
                adapter.validate(chat(CREDENTIAL, false)));
        assertEquals(2, google.getRequestCount(), "a refused credential goes no further");
    }

    @Test
    void validateFailsWhenGoogleCannotBeReachedProperly() {
        google.enqueue(new MockResponse.Builder().code(503).body("unavailable").build());
        IOException failure = assertThrows(IOException.class, () -> adapter.validate(chat(CREDENTIAL, false)));
        assertTrue(failure.getMessage().contains("503"));
    }

    @Test
    void aCredentialWithoutRefreshTokenIsRefusedWithoutAnyCall() throws Exception {
        try (UpstreamResponse response = adapter.send(chat("{\"access_token\":\"x\"}", false))) {
            assertEquals(401, response.status());
        }
        assertEquals(0, google.getRequestCount());
    }

    @Test
    void onboardsAUserWithoutProjectAndPollsTheOperationUntilDone() throws Exception {
        google.enqueue(token("ya29.t", 3600));
        google.enqueue(json200("{\"allowedTiers\":[{\"id\":\"legacy-tier\"},{\"id\":\"free-tier\",\"isDefault\":true}]}"));
        google.enqueue(json200("{\"name\":\"operations/onboard-1\",\"done\":false}"));
        google.enqueue(json200("{\"name\":\"operations/onboard-1\",\"done\":false}"));
        google.enqueue(json200("{\"name\":\"operations/onboard-1\",\"done\":true,\"response\":{"
                + "\"cloudaicompanionProject\":{\"id\":\"fresh-project-9\",\"name\":\"Fresh\"}}}"));
        google.enqueue(json200(ANSWER));

        send(chat(CREDENTIAL, false));

        google.takeRequest();
        google.takeRequest();
        RecordedRequest onboard = google.takeRequest();
        assertEquals("/v1internal:onboardUser", onboard.getTarget());
        JsonNode onboardBody = json(onboard.getBody().utf8());
        assertEquals("free-tier", onboardBody.get("tierId").asText());
        assertEquals("GEMINI", onboardBody.at("/metadata/pluginType").asText());
        RecordedRequest poll = google.takeRequest();
        assertEquals("GET", poll.getMethod());
        assertEquals("/v1internal/operations/onboard-1", poll.getTarget());
        google.takeRequest();
        assertEquals("fresh-project-9", json(google.takeRequest().getBody().utf8()).get("project").asText());
    }

    @Test
    void aCredentialCodeAssistHasNoProjectForIsRefusedAs403() throws Exception {
        google.enqueue(token("ya29.t", 3600));
        google.enqueue(json200("{\"currentTier\":{\"id\":\"standard-tier\"},\"ineligibleTiers\":[{\"reasonMessage\":"
                + "\"Your account is not eligible for the free tier\"}]}"));
        google.enqueue(json200("{\"done\":true,\"response\":{}}"));

        try (UpstreamResponse response = adapter.send(chat(CREDENTIAL, false))) {
            assertEquals(403, response.status());
            String message = json(body(response)).at("/error/message").asText();
            assertTrue(message.contains("not eligible"), message);
            assertTrue(message.contains("project_id"), message);
        }
    }

    @Test
    void streamsCodeAssistEventsAsOpenAiChunksInOrderEndingWithDone() throws Exception {
        google.enqueue(token("ya29.t", 3600));
        google.enqueue(json200(LOADED));
        String events = event("{\"response\":{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":"
                + "\"Hmm\",\"thought\":true}]}}]},\"traceId\":\"t\"}")
                + event("{\"response\":{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Hel\"}]}}]}}")
                + event("{\"response\":{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"lo\"}]},"
                + "\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":1,\"candidatesTokenCount\":2,"
                + "\"totalTokenCount\":3}}}");
        google.enqueue(new MockResponse.Builder().code(200).addHeader("Content-Type", "text/event-stream")
                .body(events).build());
        String body = "{\"model\":\"gemini-2.5-flash\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

        String raw;
        try (UpstreamResponse response = adapter.send(call(upstream(), CREDENTIAL, Endpoint.CHAT_COMPLETIONS, true,
                body))) {
            assertEquals(200, response.status());
            assertEquals("text/event-stream", response.header("Content-Type"));
            raw = body(response);
        }

        String[] parts = raw.split("\n\n");
        assertEquals("data: [DONE]", parts[parts.length - 1]);
        List<JsonNode> chunks = new ArrayList<>();
        for (int i = 0; i < parts.length - 1; i++) {
            chunks.add(json(parts[i].substring("data: ".length())));
        }
        assertEquals(4, chunks.size(), raw);
        assertEquals("Hmm", chunks.get(0).at("/choices/0/delta/reasoning_content").asText());
        assertEquals("assistant", chunks.get(0).at("/choices/0/delta/role").asText());
        assertEquals("Hel", chunks.get(1).at("/choices/0/delta/content").asText());
        assertEquals("lo", chunks.get(2).at("/choices/0/delta/content").asText());
        assertEquals("stop", chunks.get(2).at("/choices/0/finish_reason").asText());
        assertEquals(3, chunks.get(3).at("/usage/total_tokens").asInt());
        assertEquals("gemini-2.5-flash", chunks.get(3).get("model").asText());

        google.takeRequest();
        google.takeRequest();
        RecordedRequest stream = google.takeRequest();
        assertEquals("/v1internal:streamGenerateContent?alt=sse", stream.getTarget());
        assertEquals("text/event-stream", stream.getHeaders().get("Accept"));
    }

    @Test
    void aStreamedChunkReachesTheCallerBeforeCodeAssistSendsTheNextEvent() throws Exception {
        google.enqueue(token("ya29.t", 3600));
        google.enqueue(json200(LOADED));
        CountDownLatch callerSawFirstChunk = new CountDownLatch(1);
        String first = event("{\"response\":{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"one\"}]}}]}}");
        String second = event("{\"response\":{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"two\"}]},"
                + "\"finishReason\":\"STOP\"}]}}");
        google.enqueue(new MockResponse.Builder().code(200).addHeader("Content-Type", "text/event-stream")
                .body(new MockResponseBody() {
                    @Override
                    public long getContentLength() {
                        return (first + second).getBytes(StandardCharsets.UTF_8).length;
                    }

                    @Override
                    public void writeTo(BufferedSink sink) throws IOException {
                        sink.writeUtf8(first).flush();
                        try {
                            // The rest comes only once the caller holds the first chunk: buffering would hang here.
                            if (!callerSawFirstChunk.await(10, TimeUnit.SECONDS)) {
                                return;
                            }
                        } catch (InterruptedException e) {
                            throw new IOException(e);
                        }
                        sink.writeUtf8(second).flush();
                    }
                }).build());

        try (UpstreamResponse response = adapter.send(chat(CREDENTIAL, true))) {
            BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
            String line = reader.readLine();
            assertEquals("one", json(line.substring("data: ".length())).at("/choices/0/delta/content").asText());
            callerSawFirstChunk.countDown();
            StringBuilder rest = new StringBuilder();
            for (String next = reader.readLine(); next != null; next = reader.readLine()) {
                rest.append(next).append('\n');
            }
            assertTrue(rest.toString().contains("\"two\""), rest.toString());
            assertTrue(rest.toString().endsWith("data: [DONE]\n\n"), rest.toString());
        }
    }

    @Test
    void anErrorInsideTheStreamEndsItWithAnErrorEventAndNoDone() throws Exception {
        google.enqueue(token("ya29.t", 3600));
        google.enqueue(json200(LOADED));
        google.enqueue(new MockResponse.Builder().code(200).addHeader("Content-Type", "text/event-stream")
                .body(event("{\"response\":{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"par\"}]}}]}}")
                        + event("{\"error\":{\"code\":500,\"message\":\"Internal error encountered.\"}}")
                        + event("{\"response\":{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"never\"}]}}]}}"))
                .build());

        String raw;
        try (UpstreamResponse response = adapter.send(chat(CREDENTIAL, true))) {
            raw = body(response);
        }

        assertTrue(raw.contains("Internal error encountered."), raw);
        assertFalse(raw.contains("never"), raw);
        assertFalse(raw.contains("[DONE]"), raw);
    }

    @Test
    void aResourceExhaustedAnswerIsA429WithGooglesResetTime() throws Exception {
        google.enqueue(token("ya29.t", 3600));
        google.enqueue(json200(LOADED));
        google.enqueue(new MockResponse.Builder().code(429).addHeader("Content-Type", "application/json")
                .body("{\"error\":{\"code\":429,\"message\":\"You have exhausted your capacity on this model. Your quota"
                        + " will reset after 53s.\",\"status\":\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":"
                        + "\"type.googleapis.com/google.rpc.ErrorInfo\",\"reason\":\"RATE_LIMIT_EXCEEDED\"}]}}")
                .build());

        try (UpstreamResponse response = adapter.send(chat(CREDENTIAL, true))) {
            assertEquals(429, response.status());
            assertEquals(Duration.ofSeconds(53), response.retryAfter());
            JsonNode error = json(body(response)).get("error");
            assertEquals("RESOURCE_EXHAUSTED", error.get("code").asText());
            assertEquals("rate_limit_error", error.get("type").asText());
        }
    }

    @Test
    void a401FromCodeAssistRefreshesTheTokenOnceAndRetries() throws Exception {
        google.enqueue(token("ya29.revoked", 3600));
        google.enqueue(json200(LOADED));
        google.enqueue(new MockResponse.Builder().code(401).body("{\"error\":{\"code\":401,\"status\":"
                + "\"UNAUTHENTICATED\"}}").build());
        google.enqueue(token("ya29.fresh", 3600));
        google.enqueue(json200(ANSWER));

        send(chat(CREDENTIAL, false));

        google.takeRequest();
        google.takeRequest();
        assertEquals("Bearer ya29.revoked", google.takeRequest().getHeaders().get("Authorization"));
        assertEquals("/token", google.takeRequest().getTarget());
        assertEquals("Bearer ya29.fresh", google.takeRequest().getHeaders().get("Authorization"));
    }

    @Test
    void otherErrorsKeepTheirStatusInOpenAisShape() throws Exception {
        google.enqueue(token("ya29.t", 3600));
        google.enqueue(json200(LOADED));
        google.enqueue(new MockResponse.Builder().code(404).body("{\"error\":{\"code\":404,\"message\":"
                + "\"Requested entity was not found.\",\"status\":\"NOT_FOUND\"}}").build());

        try (UpstreamResponse response = adapter.send(chat(CREDENTIAL, false))) {
            assertEquals(404, response.status());
            assertEquals("Code Assist answered HTTP 404: Requested entity was not found.",
                    json(body(response)).at("/error/message").asText());
        }
    }

    @Test
    void concurrentRequestsOnOneCredentialShareOneRefreshAndOneDiscovery() throws Exception {
        AtomicInteger refreshes = new AtomicInteger();
        AtomicInteger loads = new AtomicInteger();
        CountDownLatch tokenMayAnswer = new CountDownLatch(1);
        google.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
                return switch (request.getTarget()) {
                    case "/token" -> {
                        refreshes.incrementAndGet();
                        tokenMayAnswer.await(10, TimeUnit.SECONDS);
                        yield token("ya29.shared", 3600);
                    }
                    case "/v1internal:loadCodeAssist" -> {
                        loads.incrementAndGet();
                        yield json200(LOADED);
                    }
                    default -> json200(ANSWER);
                };
            }
        });
        List<Future<Integer>> statuses = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 8; i++) {
                statuses.add(pool.submit(() -> {
                    try (UpstreamResponse response = adapter.send(chat(CREDENTIAL, false))) {
                        response.body().readAllBytes();
                        return response.status();
                    }
                }));
            }
            Thread.sleep(200);
            tokenMayAnswer.countDown();
            for (Future<Integer> status : statuses) {
                assertEquals(200, status.get());
            }
        }
        assertEquals(1, refreshes.get());
        assertEquals(1, loads.get());
    }

    @Test
    void listsTheDeclaredModelsWithoutCallingGoogle() throws Exception {
        try (UpstreamResponse response = adapter.send(call(upstream(), CREDENTIAL, Endpoint.MODELS, false, ""))) {
            JsonNode data = json(body(response)).get("data");
            assertEquals(GeminiCodeAssistAdapter.DEFAULT_MODELS.size(), data.size());
            assertEquals("gemini-2.5-pro", data.at("/0/id").asText());
        }
        assertEquals(0, google.getRequestCount());
    }

    private void send(UpstreamCall call) throws IOException {
        try (UpstreamResponse response = adapter.send(call)) {
            String text = body(response);
            assertEquals(200, response.status(), text);
        }
    }

    private UpstreamCall chat(String credential, boolean stream) {
        String body = stream ? CHAT.replace("{\"model\"", "{\"stream\":true,\"model\"") : CHAT;
        return call(upstream(), credential, Endpoint.CHAT_COMPLETIONS, stream, body);
    }

    private static UpstreamCall call(Upstream upstream, String credential, Endpoint endpoint, boolean stream,
            String body) {
        String model = endpoint == Endpoint.MODELS ? null : json(body).get("model").asText();
        return new UpstreamCall(upstream, "acc-g", null, Map.of(Account.SECRET_CREDENTIAL, credential), endpoint, model,
                stream, body.getBytes(StandardCharsets.UTF_8));
    }

    private Upstream upstream() {
        String base = google.url("/").toString();
        return new Upstream("gemini-code-assist", "gemini-code-assist", base, GeminiCodeAssistAdapter.DEFAULT_MODELS,
                Map.of("baseUrl", base, "tokenUrl", google.url("/token").toString()));
    }

    private static MockResponse token(String accessToken, int expiresIn) {
        return json200("{\"access_token\":\"" + accessToken + "\",\"expires_in\":" + expiresIn
                + ",\"scope\":\"https://www.googleapis.com/auth/cloud-platform\",\"token_type\":\"Bearer\"}");
    }

    private static MockResponse json200(String body) {
        return new MockResponse.Builder().code(200).addHeader("Content-Type", "application/json").body(body).build();
    }

    private static String event(String json) {
        return "data: " + json + "\r\n\r\n";
    }

    private static Map<String, String> form(String body) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            fields.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                    URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return fields;
    }

    private static String body(UpstreamResponse response) throws IOException {
        return new String(response.body().readAllBytes(), StandardCharsets.UTF_8);
    }
}
