package io.rotor.plugins.k2think.internal;

import static io.rotor.plugins.k2think.internal.Fixtures.json;
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
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The adapter over the real upstream client against a fake K2 Think speaking its web API. */
@Timeout(30)
class K2ThinkAdapterTest {

    private static final String EMAIL = "someone@example.com";
    private static final String PASSWORD = "correct horse battery staple";
    private static final Instant START = Instant.parse("2026-03-01T10:00:00Z");
    private static final String CHAT_BODY = "{\"model\":\"MBZUAI-IFM/K2-Think-v2\",\"messages\":[{\"role\":\"user\","
            + "\"content\":\"hi\"}],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}";
    private static final String COMPLETION = "{\"id\":\"chatcmpl-k2\",\"object\":\"chat.completion\",\"created\":1,"
            + "\"model\":\"MBZUAI-IFM/K2-Think-v2\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
            + "\"content\":\"hello\"},\"finish_reason\":\"stop\"}]}";

    private final MockWebServer k2 = new MockWebServer();
    private final Fixtures.MovableClock clock = new Fixtures.MovableClock(START);
    private OkHttpUpstreamClient http;
    private K2ThinkAdapter adapter;

    @BeforeEach
    void start() throws IOException {
        k2.start();
        http = Fixtures.http();
        adapter = new K2ThinkAdapter(http, clock);
    }

    @AfterEach
    void stop() {
        http.close();
        k2.close();
    }

    @Test
    void signsInWithTheBodyTokenAndSendsTheClientsChatWithIt() throws Exception {
        k2.enqueue(signIn("{\"token\":\"tok-body\",\"token_type\":\"Bearer\"}"));
        k2.enqueue(json200(COMPLETION));

        try (UpstreamResponse response = adapter.send(chat(false))) {
            assertEquals(200, response.status());
            assertEquals("hello", json(body(response)).at("/choices/0/message/content").asText());
        }

        RecordedRequest signIn = k2.takeRequest();
        assertEquals("POST", signIn.getMethod());
        assertEquals("/api/v1/auths/signin", signIn.getTarget());
        JsonNode credentials = json(signIn.getBody().utf8());
        assertEquals(EMAIL, credentials.get("email").asText());
        assertEquals(PASSWORD, credentials.get("password").asText());
        RecordedRequest chat = k2.takeRequest();
        assertEquals("/api/chat/completions", chat.getTarget());
        assertEquals("Bearer tok-body", chat.getHeaders().get("Authorization"));
        assertEquals(CHAT_BODY, chat.getBody().utf8(), "the client's body goes upstream unchanged, tools and all");
    }

    @Test
    void signsInWithAnAccessTokenFieldOfTheBody() throws Exception {
        k2.enqueue(signIn("{\"access_token\":\"tok-access\",\"token_type\":\"bearer\"}"));
        k2.enqueue(json200(COMPLETION));

        try (UpstreamResponse response = adapter.send(chat(false))) {
            assertEquals(200, response.status());
        }

        k2.takeRequest();
        assertEquals("Bearer tok-access", k2.takeRequest().getHeaders().get("Authorization"));
    }

    @Test
    void signsInWithTheTokenOfASetCookieHeader() throws Exception {
        k2.enqueue(new MockResponse.Builder().code(200).addHeader("Content-Type", "application/json")
                .addHeader("Set-Cookie", "oauth_session=x; Path=/")
                .addHeader("Set-Cookie", "token=tok-cookie; Path=/; HttpOnly; SameSite=Lax")
                .body("{\"id\":\"u-1\",\"email\":\"someone@example.com\"}").build());
        k2.enqueue(json200(COMPLETION));

        try (UpstreamResponse response = adapter.send(chat(false))) {
            assertEquals(200, response.status());
        }

        k2.takeRequest();
        assertEquals("Bearer tok-cookie", k2.takeRequest().getHeaders().get("Authorization"));
    }

    @Test
    void reusesTheTokenUntilItsJwtExpiryAndThenSignsInAgain() throws Exception {
        String first = Fixtures.jwt(START.plus(Duration.ofMinutes(10)));
        String second = Fixtures.jwt(START.plus(Duration.ofMinutes(30)));
        k2.enqueue(signIn("{\"token\":\"" + first + "\"}"));
        k2.enqueue(json200(COMPLETION));
        k2.enqueue(json200(COMPLETION));
        k2.enqueue(signIn("{\"token\":\"" + second + "\"}"));
        k2.enqueue(json200(COMPLETION));

        send(chat(false));
        clock.advance(Duration.ofMinutes(8)); // still more than the one-minute margin before exp
        send(chat(false));
        clock.advance(Duration.ofMinutes(1).plusSeconds(1));
        send(chat(false));

        assertEquals("/api/v1/auths/signin", k2.takeRequest().getTarget());
        assertEquals("Bearer " + first, k2.takeRequest().getHeaders().get("Authorization"));
        assertEquals("Bearer " + first, k2.takeRequest().getHeaders().get("Authorization"));
        assertEquals("/api/v1/auths/signin", k2.takeRequest().getTarget());
        assertEquals("Bearer " + second, k2.takeRequest().getHeaders().get("Authorization"));
    }

    @Test
    void keepsATokenWithoutKnownExpiryFor59Minutes() throws Exception {
        k2.enqueue(signIn("{\"token\":\"opaque-1\"}"));
        k2.enqueue(json200(COMPLETION));
        k2.enqueue(json200(COMPLETION));
        k2.enqueue(signIn("{\"token\":\"opaque-2\"}"));
        k2.enqueue(json200(COMPLETION));

        send(chat(false));
        clock.advance(Duration.ofMinutes(58));
        send(chat(false));
        clock.advance(Duration.ofMinutes(1));
        send(chat(false));

        assertEquals(5, k2.getRequestCount());
        k2.takeRequest();
        k2.takeRequest();
        assertEquals("Bearer opaque-1", k2.takeRequest().getHeaders().get("Authorization"));
        assertEquals("/api/v1/auths/signin", k2.takeRequest().getTarget());
        assertEquals("Bearer opaque-2", k2.takeRequest().getHeaders().get("Authorization"));
    }

    @Test
    void a401FromChatSignsInOnceMoreAndRetriesTheRequest() throws Exception {
        k2.enqueue(signIn("{\"token\":\"revoked\"}"));
        k2.enqueue(new MockResponse.Builder().code(401).body("{\"detail\":\"Not authenticated\"}").build());
        k2.enqueue(signIn("{\"token\":\"fresh\"}"));
        k2.enqueue(json200(COMPLETION));

        try (UpstreamResponse response = adapter.send(chat(false))) {
            assertEquals(200, response.status());
        }

        k2.takeRequest();
        assertEquals("Bearer revoked", k2.takeRequest().getHeaders().get("Authorization"));
        assertEquals("/api/v1/auths/signin", k2.takeRequest().getTarget());
        RecordedRequest retry = k2.takeRequest();
        assertEquals("Bearer fresh", retry.getHeaders().get("Authorization"));
        assertEquals(CHAT_BODY, retry.getBody().utf8());
    }

    @Test
    void a403AfterASecondSignInIsReturnedForTheEngineToMarkTheAccountInvalid() throws Exception {
        k2.enqueue(signIn("{\"token\":\"a\"}"));
        k2.enqueue(new MockResponse.Builder().code(403).body("{\"detail\":\"banned\"}").build());
        k2.enqueue(signIn("{\"token\":\"b\"}"));
        k2.enqueue(new MockResponse.Builder().code(403).body("{\"detail\":\"banned\"}").build());

        try (UpstreamResponse response = adapter.send(chat(false))) {
            assertEquals(403, response.status());
            assertEquals("K2 Think answered HTTP 403: banned", json(body(response)).at("/error/message").asText());
        }
        assertEquals(4, k2.getRequestCount());
    }

    @Test
    void aRefusedSignInIsA401ThatNamesNoSecret() throws Exception {
        k2.enqueue(new MockResponse.Builder().code(400).addHeader("Content-Type", "application/json")
                .body("{\"detail\":\"The email or password provided is incorrect for someone@example.com\"}").build());

        try (UpstreamResponse response = adapter.send(chat(false))) {
            assertEquals(401, response.status());
            String text = body(response);
            assertEquals("authentication_error", json(text).at("/error/type").asText());
            assertTrue(json(text).at("/error/message").asText().contains("refused the sign-in"), text);
            assertFalse(text.contains(PASSWORD));
            assertFalse(text.contains(EMAIL));
        }
        assertEquals(1, k2.getRequestCount(), "a refused account is not sent to chat");
    }

    @Test
    void aRateLimitedSignInIsA429WithItsResetTime() throws Exception {
        k2.enqueue(new MockResponse.Builder().code(429).addHeader("Retry-After", "42").body("slow down").build());

        try (UpstreamResponse response = adapter.send(chat(false))) {
            assertEquals(429, response.status());
            assertEquals(Duration.ofSeconds(42), response.retryAfter());
        }
    }

    @Test
    void a429FromChatKeepsItsRetryAfterAndBecomesAnOpenAiError() throws Exception {
        k2.enqueue(signIn("{\"token\":\"t\"}"));
        k2.enqueue(new MockResponse.Builder().code(429).addHeader("Retry-After", "17")
                .addHeader("Content-Type", "application/json")
                .body("{\"detail\":\"Too many requests, reset after 17s\"}").build());

        try (UpstreamResponse response = adapter.send(chat(false))) {
            assertEquals(429, response.status());
            assertEquals("17", response.header("Retry-After"));
            JsonNode error = json(body(response)).get("error");
            assertEquals("rate_limit_error", error.get("type").asText());
            assertTrue(error.get("message").asText().contains("reset after 17s"));
        }
        assertEquals(2, k2.getRequestCount(), "a 429 is no reason to sign in again");
    }

    @Test
    void concurrentRequestsOnOneAccountShareOneSignIn() throws Exception {
        AtomicInteger signIns = new AtomicInteger();
        CountDownLatch signInMayAnswer = new CountDownLatch(1);
        k2.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
                if (request.getTarget().equals("/api/v1/auths/signin")) {
                    signIns.incrementAndGet();
                    signInMayAnswer.await(10, TimeUnit.SECONDS);
                    return signIn("{\"token\":\"shared\"}");
                }
                return json200(COMPLETION);
            }
        });
        int requests = 8;
        List<Future<Integer>> statuses = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < requests; i++) {
                statuses.add(pool.submit(() -> {
                    try (UpstreamResponse response = adapter.send(chat(false))) {
                        response.body().readAllBytes();
                        return response.status();
                    }
                }));
            }
            // Let all requests queue up behind the one sign-in in flight before it answers.
            Thread.sleep(200);
            signInMayAnswer.countDown();
            for (Future<Integer> status : statuses) {
                assertEquals(200, status.get());
            }
        }
        assertEquals(1, signIns.get());
        assertEquals(requests + 1, k2.getRequestCount());
    }

    @Test
    void accountsHaveTheirOwnTokens() throws Exception {
        k2.enqueue(signIn("{\"token\":\"for-a\"}"));
        k2.enqueue(json200(COMPLETION));
        k2.enqueue(signIn("{\"token\":\"for-b\"}"));
        k2.enqueue(json200(COMPLETION));

        send(chat(false));
        send(new UpstreamCall(upstream(List.of("MBZUAI-IFM/K2-Think-v2")), "acc-b", "other@example.com",
                Map.of(Account.SECRET_PASSWORD, "pw-b"), Endpoint.CHAT_COMPLETIONS, "MBZUAI-IFM/K2-Think-v2", false,
                CHAT_BODY.getBytes(StandardCharsets.UTF_8)));

        k2.takeRequest();
        assertEquals("Bearer for-a", k2.takeRequest().getHeaders().get("Authorization"));
        assertEquals("other@example.com", json(k2.takeRequest().getBody().utf8()).get("email").asText());
        assertEquals("Bearer for-b", k2.takeRequest().getHeaders().get("Authorization"));
    }

    @Test
    void movesThinkingOutOfTheContentOfAWholeAnswer() throws Exception {
        k2.enqueue(signIn("{\"token\":\"t\"}"));
        k2.enqueue(json200("{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
                + "\"<think>2+2 is 4</think>\\n\\n<answer>4</answer>\"},\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":9,\"total_tokens\":12}}"));

        JsonNode completion;
        try (UpstreamResponse response = adapter.send(chat(false))) {
            assertEquals("application/json", response.header("Content-Type"));
            completion = json(body(response));
        }

        JsonNode message = completion.at("/choices/0/message");
        assertEquals("4", message.get("content").asText());
        assertEquals("2+2 is 4", message.get("reasoning_content").asText());
        assertEquals("chat.completion", completion.get("object").asText());
        assertEquals("MBZUAI-IFM/K2-Think-v2", completion.get("model").asText());
        assertTrue(completion.get("id").asText().startsWith("chatcmpl-"));
        assertEquals(12, completion.at("/usage/total_tokens").asInt());
    }

    @Test
    void streamsChunksInOrderWithThinkingAsReasoningAndEndsWithDone() throws Exception {
        k2.enqueue(signIn("{\"token\":\"t\"}"));
        String events = event("{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"<thi\"}}]}")
                + event("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"nk>hmm\"}}]}")
                + ": keep-alive\n\n"
                + event("{\"selected_model_id\":\"x\"}")
                + event("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\" ok</think>\\n\\nHel\"}}]}")
                + event("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}]}")
                + "data: [DONE]\n\n";
        k2.enqueue(new MockResponse.Builder().code(200).addHeader("Content-Type", "text/event-stream; charset=utf-8")
                .body(events).build());

        List<JsonNode> chunks = new ArrayList<>();
        String raw;
        try (UpstreamResponse response = adapter.send(chat(true))) {
            assertEquals("text/event-stream", response.header("Content-Type"));
            raw = body(response);
        }
        assertTrue(raw.endsWith("data: [DONE]\n\n"), raw);
        for (String event : raw.split("\n\n")) {
            if (!event.equals("data: [DONE]")) {
                chunks.add(json(event.substring("data: ".length())));
            }
        }
        assertEquals(4, chunks.size(), raw);
        assertEquals("assistant", chunks.get(0).at("/choices/0/delta/role").asText());
        assertFalse(chunks.get(0).at("/choices/0/delta").has("content"), "a partial tag is held back");
        assertEquals("hmm", chunks.get(1).at("/choices/0/delta/reasoning_content").asText());
        assertEquals(" ok", chunks.get(2).at("/choices/0/delta/reasoning_content").asText());
        assertEquals("Hel", chunks.get(2).at("/choices/0/delta/content").asText());
        assertEquals("lo", chunks.get(3).at("/choices/0/delta/content").asText());
        assertEquals("stop", chunks.get(3).at("/choices/0/finish_reason").asText());
        assertEquals("chat.completion.chunk", chunks.get(3).get("object").asText());
        RecordedRequest signIn = k2.takeRequest();
        assertEquals("/api/v1/auths/signin", signIn.getTarget());
        assertEquals("text/event-stream", k2.takeRequest().getHeaders().get("Accept"));
    }

    @Test
    void mapsAReasoningFieldToReasoningContent() throws Exception {
        k2.enqueue(signIn("{\"token\":\"t\"}"));
        k2.enqueue(new MockResponse.Builder().code(200).addHeader("Content-Type", "text/event-stream")
                .body(event("{\"choices\":[{\"index\":0,\"delta\":{\"reasoning\":\"think\"}}]}")
                        + event("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"done\"},\"finish_reason\":\"stop\"}]}"))
                .build());

        String raw;
        try (UpstreamResponse response = adapter.send(chat(true))) {
            raw = body(response);
        }

        String[] events = raw.split("\n\n");
        assertEquals("think", json(events[0].substring(6)).at("/choices/0/delta/reasoning_content").asText());
        assertFalse(json(events[0].substring(6)).at("/choices/0/delta").has("reasoning"));
        assertEquals("data: [DONE]", events[events.length - 1], "added when K2 Think ends without it");
    }

    @Test
    void listsTheDeclaredModelsWithoutCallingK2Think() throws Exception {
        try (UpstreamResponse response = adapter.send(call(upstream(List.of("MBZUAI-IFM/K2-Think-v2")), Endpoint.MODELS,
                false, ""))) {
            JsonNode list = json(body(response));
            assertEquals("MBZUAI-IFM/K2-Think-v2", list.at("/data/0/id").asText());
            assertEquals("model", list.at("/data/0/object").asText());
        }
        assertEquals(0, k2.getRequestCount());
    }

    @Test
    void listsK2ThinksOwnModelsWhenAnyModelIsDeclared() throws Exception {
        k2.enqueue(signIn("{\"token\":\"t\"}"));
        k2.enqueue(json200("{\"data\":[{\"id\":\"MBZUAI-IFM/K2-Think-v2\",\"name\":\"K2 Think\",\"owned_by\":\"openai\"},"
                + "{\"id\":\"MBZUAI-IFM/K2-Think\",\"name\":\"K2 Think (old)\"}]}"));

        try (UpstreamResponse response = adapter.send(call(upstream(List.of("*")), Endpoint.MODELS, false, ""))) {
            JsonNode list = json(body(response));
            assertEquals(2, list.get("data").size());
            assertEquals("MBZUAI-IFM/K2-Think", list.at("/data/1/id").asText());
        }
        k2.takeRequest();
        RecordedRequest models = k2.takeRequest();
        assertEquals("GET", models.getMethod());
        assertEquals("/api/models", models.getTarget());
        assertEquals("Bearer t", models.getHeaders().get("Authorization"));
    }

    @Test
    void answersOtherEndpointsWith404() throws Exception {
        try (UpstreamResponse response = adapter.send(call(upstream(List.of("*")), Endpoint.EMBEDDINGS, false, "{}"))) {
            assertEquals(404, response.status());
        }
        assertEquals(0, k2.getRequestCount());
    }

    @Test
    void validateSignsInAndTheSessionIsThenReused() throws Exception {
        k2.enqueue(signIn("{\"token\":\"validated\"}"));
        k2.enqueue(json200(COMPLETION));

        assertNull(adapter.validate(chat(false)));
        send(chat(false));

        assertEquals("/api/v1/auths/signin", k2.takeRequest().getTarget());
        assertEquals("Bearer validated", k2.takeRequest().getHeaders().get("Authorization"));
    }

    @Test
    void validateExplainsARefusedSignInAndFailsWhenK2ThinkIsDown() throws Exception {
        k2.enqueue(new MockResponse.Builder().code(400).body("{\"detail\":\"incorrect\"}").build());
        k2.enqueue(new MockResponse.Builder().code(503).body("maintenance").build());

        String reason = adapter.validate(chat(false));
        assertEquals("K2 Think refused the sign-in (HTTP 400).", reason);
        IOException down = assertThrows(IOException.class, () -> adapter.validate(chat(false)));
        assertTrue(down.getMessage().contains("503"));
    }

    private void send(UpstreamCall call) throws IOException {
        try (UpstreamResponse response = adapter.send(call)) {
            assertEquals(200, response.status(), () -> safeBody(response));
            response.body().readAllBytes();
        }
    }

    private static String safeBody(UpstreamResponse response) {
        try {
            return body(response);
        } catch (IOException e) {
            return e.toString();
        }
    }

    private UpstreamCall chat(boolean stream) {
        String body = stream ? CHAT_BODY.replace("{\"model\"", "{\"stream\":true,\"model\"") : CHAT_BODY;
        return call(upstream(List.of("MBZUAI-IFM/K2-Think-v2")), Endpoint.CHAT_COMPLETIONS, stream,
                stream ? body : CHAT_BODY);
    }

    private UpstreamCall call(Upstream upstream, Endpoint endpoint, boolean stream, String body) {
        return new UpstreamCall(upstream, "acc-a", EMAIL, Map.of(Account.SECRET_PASSWORD, PASSWORD), endpoint,
                "MBZUAI-IFM/K2-Think-v2", stream, body.getBytes(StandardCharsets.UTF_8));
    }

    private Upstream upstream(List<String> models) {
        String base = k2.url("/").toString();
        return new Upstream("k2think", "k2think", base, models, Map.of("type", "k2think", "baseUrl", base));
    }

    private static MockResponse signIn(String body) {
        return json200(body);
    }

    private static MockResponse json200(String body) {
        return new MockResponse.Builder().code(200).addHeader("Content-Type", "application/json").body(body).build();
    }

    private static String event(String json) {
        return "data: " + json + "\n\n";
    }

    private static String body(UpstreamResponse response) throws IOException {
        return new String(response.body().readAllBytes(), StandardCharsets.UTF_8);
    }
}
