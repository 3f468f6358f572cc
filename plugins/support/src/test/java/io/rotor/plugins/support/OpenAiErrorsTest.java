package io.rotor.plugins.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rotor.api.UpstreamResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OpenAiErrorsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void rewritesAGoogleErrorIntoOpenAisShapeKeepingStatusHeadersAndMessage() throws Exception {
        byte[] google = bytes("{\"error\":{\"code\":429,\"message\":\"Quota exceeded. Reset after 53s.\","
                + "\"status\":\"RESOURCE_EXHAUSTED\"}}");
        UpstreamResponse response = OpenAiErrors.fromUpstream(429,
                Map.of("Retry-After", List.of("53"), "Content-Length", List.of("99")), google, "Code Assist",
                Duration.ofSeconds(53));

        assertEquals(429, response.status());
        assertEquals("53", response.header("Retry-After"));
        assertNull(response.header("Content-Length"), "the body changed, its length did too");
        assertEquals("application/json", response.header("Content-Type"));
        assertEquals(Duration.ofSeconds(53), response.retryAfter());
        JsonNode error = JSON.readTree(response.body().readAllBytes()).get("error");
        assertEquals("Code Assist answered HTTP 429: Quota exceeded. Reset after 53s.", error.get("message").asText());
        assertEquals("rate_limit_error", error.get("type").asText());
        assertEquals("RESOURCE_EXHAUSTED", error.get("code").asText());
        assertEquals(true, error.get("param").isNull());
    }

    @Test
    void findsTheMessageInFastApiOAuthAndPlainBodies() {
        assertEquals("Not found", OpenAiErrors.message(bytes("{\"detail\":\"Not found\"}")));
        assertEquals("field required", OpenAiErrors.message(bytes("{\"detail\":[{\"msg\":\"field required\"}]}")));
        assertEquals("Token has been expired or revoked.",
                OpenAiErrors.message(bytes("{\"error\":\"invalid_grant\",\"error_description\":\"Token has been expired"
                        + " or revoked.\"}")));
        assertEquals("upstream overloaded", OpenAiErrors.message(bytes("upstream   overloaded\n")));
        assertNull(OpenAiErrors.message(bytes("<html><body>502</body></html>")));
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
