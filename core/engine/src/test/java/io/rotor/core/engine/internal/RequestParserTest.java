package io.rotor.core.engine.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.rotor.api.Endpoint;
import io.rotor.api.ErrorCode;
import io.rotor.api.RotorException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RequestParserTest {

    private static ParsedRequest parse(String body) {
        return RequestParser.parse(Endpoint.CHAT_COMPLETIONS, body.getBytes(StandardCharsets.UTF_8));
    }

    private static RotorException refused(String body) {
        return assertThrows(RotorException.class, () -> parse(body));
    }

    @Test
    void readsModelAndStreamAndSkipsEverythingElse() {
        assertEquals(new ParsedRequest("gpt-x", true), parse(
                "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}],"
                        + "\"model\":\"gpt-x\",\"stream\":true,\"tools\":[]}"));
        assertEquals(new ParsedRequest("m", false), parse("{\"model\":\"m\"}"));
        assertEquals(new ParsedRequest("m", false), parse("{\"model\":\"m\",\"stream\":null}"));
    }

    @Test
    void badBodiesAreInvalidRequests() {
        assertEquals("model", refused("{\"messages\":[]}").param());
        assertEquals("model", refused("{\"model\":42}").param());
        assertEquals("stream", refused("{\"model\":\"m\",\"stream\":\"yes\"}").param());
        assertEquals(ErrorCode.INVALID_REQUEST, refused("{\"model\":").code());
        assertEquals(ErrorCode.INVALID_REQUEST, refused("[1,2]").code());
        assertEquals(ErrorCode.INVALID_REQUEST, refused("{\"model\":\"m\"} trailing").code());
        assertEquals(ErrorCode.INVALID_REQUEST, refused("").code());
    }

    @Test
    void deepNestingIsRefusedWithoutAStackOverflow() {
        String deep = "{\"model\":\"m\",\"x\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}";
        assertEquals(ErrorCode.INVALID_REQUEST, refused(deep).code());
    }
}
