package io.rotor.plugins.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.rotor.api.UpstreamResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RetryHintsTest {

    @Test
    void readsGooglesResetAfterMessageAndRetryDelayTakingTheLonger() {
        String body = "{\"error\":{\"code\":429,\"message\":\"You have exhausted your capacity on this model. Your quota"
                + " will reset after 53s.\",\"status\":\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":"
                + "\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"53.472s\"}]}}";
        assertEquals(Duration.ofMillis(53_472), RetryHints.fromBody(body));
    }

    @Test
    void readsCompoundDurationsOfDailyQuotas() {
        assertEquals(Duration.ofHours(17).plusMinutes(39).plusSeconds(35),
                RetryHints.fromBody("Your quota will reset after 17h39m35s."));
        assertEquals(Duration.ofMillis(250), RetryHints.fromBody("Please try again in 250ms"));
        assertEquals(Duration.ofSeconds(20), RetryHints.fromBody("Rate limit reached. Please try again in 20s."));
    }

    @Test
    void findsNoHintInABodyWithoutOne() {
        assertNull(RetryHints.fromBody("{\"error\":{\"message\":\"Resource has been exhausted (e.g. check quota).\"}}"));
    }

    @Test
    void readsRetryAfterHeadersWhenTheBodyHasNoHint() {
        UpstreamResponse seconds = new UpstreamResponse(429, Map.of("retry-after", List.of("7")), null, null);
        assertEquals(Duration.ofSeconds(7), RetryHints.of(seconds, bytes("{}"), 0));
        UpstreamResponse millis = new UpstreamResponse(429, Map.of("retry-after-ms", List.of("1500")), null, null);
        assertEquals(Duration.ofMillis(1500), RetryHints.of(millis, bytes("{}"), 0));
        UpstreamResponse both = new UpstreamResponse(429, Map.of("Retry-After", List.of("1")), null, null);
        assertEquals(Duration.ofSeconds(53), RetryHints.of(both, bytes("reset after 53s"), 0));
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
