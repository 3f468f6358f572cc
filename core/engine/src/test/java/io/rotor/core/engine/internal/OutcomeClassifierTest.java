package io.rotor.core.engine.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.rotor.api.UpstreamResponse;
import java.io.ByteArrayInputStream;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OutcomeClassifierTest {

    private static UpstreamResponse response(int status, Map<String, String> headers, String body) {
        Map<String, List<String>> multi = new java.util.HashMap<>();
        headers.forEach((k, v) -> multi.put(k, List.of(v)));
        return new UpstreamResponse(status, multi, new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)), null);
    }

    @Test
    void retryAfterInSecondsIsRead() throws Exception {
        Outcome outcome = OutcomeClassifier.classify(response(429, Map.of("Retry-After", "7"), "{}"), 0);
        assertEquals(new Outcome.RateLimited(7_000), outcome);
    }

    @Test
    void retryAfterAsAnHttpDateIsRead() throws Exception {
        long now = Instant.parse("2026-11-22T10:00:00Z").toEpochMilli();
        String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(Instant.parse("2026-11-22T10:00:42Z").atOffset(ZoneOffset.UTC));
        Outcome outcome = OutcomeClassifier.classify(response(429, Map.of("retry-after", date), "{}"), now);
        assertEquals(new Outcome.RateLimited(42_000), outcome);
    }

    @Test
    void resetHintsInTheBodyAreRead() throws Exception {
        assertEquals(new Outcome.RateLimited(53_000), OutcomeClassifier.classify(response(429, Map.of(),
                "{\"error\":{\"message\":\"Quota exceeded, your quota will reset after 53s.\"}}"), 0));
        assertEquals(new Outcome.RateLimited(2_500), OutcomeClassifier.classify(response(429, Map.of(),
                "{\"error\":{\"details\":[{\"retryDelay\": \"2.5s\"}]}}"), 0));
        assertEquals(new Outcome.RateLimited(600), OutcomeClassifier.classify(response(429, Map.of(),
                "Please try again in 600ms."), 0));
        assertEquals(new Outcome.RateLimited(0), OutcomeClassifier.classify(response(429, Map.of(), "{}"), 0));
    }

    @Test
    void anAdapterHintWinsOverHeaders() throws Exception {
        UpstreamResponse hinted = new UpstreamResponse(429, Map.of("Retry-After", List.of("1")),
                new ByteArrayInputStream(new byte[0]), Duration.ofSeconds(90));
        assertEquals(new Outcome.RateLimited(90_000), OutcomeClassifier.classify(hinted, 0));
    }

    @Test
    void statusesMapToTheirOutcomes() throws Exception {
        assertInstanceOf(Outcome.Served.class, OutcomeClassifier.classify(response(200, Map.of(), "{}"), 0));
        assertInstanceOf(Outcome.InvalidCredential.class, OutcomeClassifier.classify(response(401, Map.of(), "{}"), 0));
        assertInstanceOf(Outcome.InvalidCredential.class, OutcomeClassifier.classify(response(403, Map.of(), "{}"), 0));
        assertEquals(new Outcome.Failed("HTTP 503", false), OutcomeClassifier.classify(response(503, Map.of(), ""), 0));
        assertEquals(new Outcome.Failed("HTTP 504", true), OutcomeClassifier.classify(response(504, Map.of(), ""), 0));
        assertInstanceOf(Outcome.Refused.class, OutcomeClassifier.classify(response(400, Map.of(), "{}"), 0));
        assertInstanceOf(Outcome.Refused.class, OutcomeClassifier.classify(response(413, Map.of(), "{}"), 0));
        assertEquals(true, ((Outcome.Failed) OutcomeClassifier.classify(new SocketTimeoutException())).timeout());
        assertEquals(false, ((Outcome.Failed) OutcomeClassifier.classify(new ConnectException())).timeout());
    }
}
