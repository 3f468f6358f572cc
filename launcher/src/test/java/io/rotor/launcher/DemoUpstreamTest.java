package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The demo's fake provider, over real loopback HTTP. */
class DemoUpstreamTest {

    private final AtomicLong now = new AtomicLong(1_000_000);
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(now.get());
        }
    };
    private final HttpClient http = HttpClient.newHttpClient();
    private DemoUpstream upstream;

    @BeforeEach
    void start() throws Exception {
        upstream = new DemoUpstream(Map.of("k-big", new DemoUpstream.Limit(100, Duration.ofSeconds(30)),
                "k-small", new DemoUpstream.Limit(2, Duration.ofSeconds(30))), clock);
    }

    @AfterEach
    void stop() {
        upstream.close();
    }

    private HttpResponse<String> call(String method, String path, String key, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(upstream.baseUrl() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void answersChatCompletionsAsJsonNamingTheKey() throws Exception {
        HttpResponse<String> response = call("POST", "/chat/completions", "k-big",
                "{\"model\":\"demo-model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(200, response.statusCode());
        JsonNode body = RotorHarness.json(response.body());
        assertEquals("chat.completion", body.get("object").asText());
        assertTrue(body.at("/choices/0/message/content").asText().contains("k-big"), response.body());
    }

    @Test
    void streamsChatCompletionsAsServerSentEventsEndingWithDone() throws Exception {
        HttpResponse<String> response = call("POST", "/chat/completions", "k-big",
                "{\"model\":\"demo-model\",\"stream\":true,\"messages\":[]}");
        assertEquals(200, response.statusCode());
        assertEquals("text/event-stream", response.headers().firstValue("Content-Type").orElse(""));
        List<String> events = response.body().lines().filter(l -> l.startsWith("data: ")).toList();
        assertTrue(events.size() > 2, response.body());
        assertEquals("data: [DONE]", events.get(events.size() - 1));
        StringBuilder text = new StringBuilder();
        events.subList(0, events.size() - 1).forEach(event -> text.append(
                RotorHarness.json(event.substring(6)).at("/choices/0/delta/content").asText()));
        assertTrue(text.toString().startsWith("Hello from the demo upstream"), text.toString());
    }

    @Test
    void servesEmbeddingsAndModels() throws Exception {
        HttpResponse<String> embeddings = call("POST", "/embeddings", "k-big", "{\"model\":\"demo-embedding\",\"input\":\"x\"}");
        assertEquals(200, embeddings.statusCode());
        assertEquals(3, RotorHarness.json(embeddings.body()).at("/data/0/embedding").size());
        HttpResponse<String> models = call("GET", "/models", "k-big", null);
        assertEquals(200, models.statusCode());
        assertEquals("demo-model", RotorHarness.json(models.body()).at("/data/0/id").asText());
    }

    @Test
    void refusesUnknownKeysWith401() throws Exception {
        assertEquals(401, call("GET", "/models", "k-unknown", null).statusCode());
        assertEquals(401, call("GET", "/models", null, null).statusCode());
    }

    @Test
    void limitsEachKeyPerWindowWith429AndRetryAfterUntilTheWindowEnds() throws Exception {
        assertEquals(200, call("GET", "/models", "k-small", null).statusCode());
        now.addAndGet(10_000);
        assertEquals(200, call("GET", "/models", "k-small", null).statusCode());
        HttpResponse<String> limited = call("GET", "/models", "k-small", null);
        assertEquals(429, limited.statusCode());
        assertEquals("20", limited.headers().firstValue("Retry-After").orElse(""));
        assertEquals("rate_limit_exceeded", RotorHarness.json(limited.body()).at("/error/code").asText());
        assertEquals(200, call("GET", "/models", "k-big", null).statusCode(), "limits are per key");
        now.addAndGet(20_000);
        assertEquals(200, call("GET", "/models", "k-small", null).statusCode(), "a new window");
    }
}
