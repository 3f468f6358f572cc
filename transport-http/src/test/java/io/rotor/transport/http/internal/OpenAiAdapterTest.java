package io.rotor.transport.http.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rotor.api.Account;
import io.rotor.api.Endpoint;
import io.rotor.api.Upstream;
import io.rotor.api.UpstreamCall;
import io.rotor.api.UpstreamResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import mockwebserver3.MockResponse;
import mockwebserver3.MockResponseBody;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okio.BufferedSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class OpenAiAdapterTest {

    private static final String API_KEY = "sk-test-0123456789";
    private static final String FIRST_EVENT = "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n";
    private static final String SECOND_EVENT = "data: {\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}\n\ndata: [DONE]\n\n";

    private final MockWebServer upstream = new MockWebServer();
    private OkHttpUpstreamClient http;
    private OpenAiAdapter adapter;

    @BeforeEach
    void start() throws IOException {
        upstream.start();
        http = new OkHttpUpstreamClient(OkHttpUpstreamClientTest.config(5_000, 10_000));
        adapter = new OpenAiAdapter(http);
    }

    @AfterEach
    void stop() {
        http.close();
        upstream.close();
    }

    @Test
    void sendsTheBearerKeyAndTheClientBodyUnchanged() throws Exception {
        upstream.enqueue(new MockResponse.Builder().code(200).addHeader("Content-Type", "application/json")
                .body("{\"id\":\"chatcmpl-1\"}").build());
        // Odd spacing, key order and unicode must survive: the adapter forwards bytes, not a re-serialization.
        String clientBody = "{ \"messages\":[{\"role\":\"user\",\"content\":\"héllo ✓\"}] ,\"model\": \"gpt-4o\"}";

        try (UpstreamResponse response = adapter.send(call(baseUrl(), Endpoint.CHAT_COMPLETIONS, false, clientBody))) {
            assertEquals(200, response.status());
            assertEquals("application/json", response.header("content-type"));
            assertEquals("{\"id\":\"chatcmpl-1\"}", new String(response.body().readAllBytes(), StandardCharsets.UTF_8));
        }
        RecordedRequest request = upstream.takeRequest();
        assertEquals("POST", request.getMethod());
        assertEquals("/v1/chat/completions", request.getTarget());
        assertEquals("Bearer " + API_KEY, request.getHeaders().get("Authorization"));
        assertTrue(request.getHeaders().get("Content-Type").startsWith("application/json"));
        assertArrayEquals(clientBody.getBytes(StandardCharsets.UTF_8), request.getBody().toByteArray());
        assertFalse("text/event-stream".equals(request.getHeaders().get("Accept")));
    }

    @Test
    void asksForAnEventStreamWhenTheClientStreams() throws Exception {
        upstream.enqueue(new MockResponse.Builder().code(200).addHeader("Content-Type", "text/event-stream")
                .body(FIRST_EVENT).build());

        try (UpstreamResponse response = adapter.send(
                call(baseUrl(), Endpoint.COMPLETIONS, true, "{\"stream\":true}"))) {
            response.body().readAllBytes();
        }

        RecordedRequest request = upstream.takeRequest();
        assertEquals("/v1/completions", request.getTarget());
        assertEquals("text/event-stream", request.getHeaders().get("Accept"));
    }

    @Test
    void readsAStreamedBodyAsItArrives() throws Exception {
        CountDownLatch callerReadFirstEvent = new CountDownLatch(1);
        upstream.enqueue(new MockResponse.Builder().code(200).addHeader("Content-Type", "text/event-stream")
                .body(new MockResponseBody() {
                    @Override
                    public long getContentLength() {
                        return (FIRST_EVENT + SECOND_EVENT).getBytes(StandardCharsets.UTF_8).length;
                    }

                    @Override
                    public void writeTo(BufferedSink sink) throws IOException {
                        sink.writeUtf8(FIRST_EVENT).flush();
                        try {
                            // The rest is produced only once the caller holds the first event.
                            callerReadFirstEvent.await();
                        } catch (InterruptedException e) {
                            throw new IOException(e);
                        }
                        sink.writeUtf8(SECOND_EVENT).flush();
                    }
                }).build());

        try (UpstreamResponse response = adapter.send(
                call(baseUrl(), Endpoint.CHAT_COMPLETIONS, true, "{\"stream\":true}"))) {
            InputStream body = response.body();
            // readNBytes ends with a zero-length read, which must not wait for the rest of the stream.
            byte[] first = body.readNBytes(FIRST_EVENT.getBytes(StandardCharsets.UTF_8).length);
            assertEquals(FIRST_EVENT, new String(first, StandardCharsets.UTF_8));
            callerReadFirstEvent.countDown();
            assertEquals(SECOND_EVENT, new String(body.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void returnsA429WithItsRetryAfterHeaderForTheEngineToRead() throws Exception {
        upstream.enqueue(new MockResponse.Builder().code(429).addHeader("Retry-After", "17")
                .addHeader("Content-Type", "application/json")
                .body("{\"error\":{\"message\":\"Rate limit reached\",\"code\":\"rate_limit_exceeded\"}}").build());

        try (UpstreamResponse response = adapter.send(call(baseUrl(), Endpoint.EMBEDDINGS, false, "{}"))) {
            assertEquals(429, response.status());
            assertEquals("17", response.header("Retry-After"));
            assertNull(response.retryAfter());
            assertTrue(new String(response.body().readAllBytes(), StandardCharsets.UTF_8).contains("Rate limit"));
        }
        assertEquals("/v1/embeddings", upstream.takeRequest().getTarget());
    }

    @Test
    void listsModelsWithAGetThatHasNoBody() throws Exception {
        upstream.enqueue(new MockResponse.Builder().code(200).body("{\"data\":[]}").build());

        try (UpstreamResponse response = adapter.send(call(baseUrl(), Endpoint.MODELS, false, ""))) {
            assertEquals("{\"data\":[]}", new String(response.body().readAllBytes(), StandardCharsets.UTF_8));
        }

        RecordedRequest request = upstream.takeRequest();
        assertEquals("GET", request.getMethod());
        assertEquals("/v1/models", request.getTarget());
        assertEquals(0, request.getBodySize());
        assertEquals("Bearer " + API_KEY, request.getHeaders().get("Authorization"));
    }

    @Test
    void ignoresATrailingSlashInTheBaseUrl() throws Exception {
        upstream.enqueue(new MockResponse.Builder().code(200).body("{}").build());

        try (UpstreamResponse response = adapter.send(
                call(baseUrl() + "/", Endpoint.CHAT_COMPLETIONS, false, "{}"))) {
            response.body().readAllBytes();
        }

        assertEquals("/v1/chat/completions", upstream.takeRequest().getTarget());
    }

    @Test
    void validateAcceptsACredentialTheUpstreamAccepts() throws Exception {
        upstream.enqueue(new MockResponse.Builder().code(200).body("{\"data\":[]}").build());

        assertNull(adapter.validate(call(baseUrl() + "/", Endpoint.CHAT_COMPLETIONS, false, "")));

        RecordedRequest request = upstream.takeRequest();
        assertEquals("GET", request.getMethod());
        assertEquals("/v1/models", request.getTarget());
        assertEquals("Bearer " + API_KEY, request.getHeaders().get("Authorization"));
    }

    @Test
    void validateExplainsACredentialTheUpstreamRejects() throws Exception {
        upstream.enqueue(new MockResponse.Builder().code(401)
                .body("{\"error\":{\"message\":\"Incorrect API key provided: " + API_KEY + "\"}}").build());

        String reason = adapter.validate(call(baseUrl(), Endpoint.MODELS, false, ""));

        assertEquals("credential rejected by upstream (HTTP 401)", reason);
    }

    @Test
    void validateFailsWithoutQuotingTheSecretWhenTheUpstreamErrs() {
        upstream.enqueue(new MockResponse.Builder().code(500)
                .body("{\"error\":{\"message\":\"internal error for key " + API_KEY + "\"}}").build());

        IOException failure = assertThrows(IOException.class,
                () -> adapter.validate(call(baseUrl(), Endpoint.MODELS, false, "")));

        assertTrue(failure.getMessage().contains("500"), failure.getMessage());
        assertFalse(failure.getMessage().contains(API_KEY));
    }

    private String baseUrl() {
        String url = upstream.url("/v1").toString();
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    private static UpstreamCall call(String baseUrl, Endpoint endpoint, boolean stream, String body) {
        Upstream openai = new Upstream("openai-main", "openai", baseUrl, List.of("*"), Map.of());
        return new UpstreamCall(openai, "acc-1", null, Map.of(Account.SECRET_API_KEY, API_KEY), endpoint, "gpt-4o",
                stream, body.getBytes(StandardCharsets.UTF_8));
    }
}
