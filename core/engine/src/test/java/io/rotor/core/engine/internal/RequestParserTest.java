package io.rotor.core.engine.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rotor.api.Endpoint;
import io.rotor.api.ErrorCode;
import io.rotor.api.RotorException;
import java.nio.charset.StandardCharsets;
import java.util.List;
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

    /** Found by fuzzing: a body naming {@code model} twice was routed by the last one, which the upstream may not read. */
    @Test
    void aBodyThatNamesModelOrStreamTwiceIsRefused() {
        RotorException twoModels = refused("{\"model\":\"cheap\",\"model\":\"costly\"}");
        assertEquals(ErrorCode.INVALID_REQUEST, twoModels.code());
        assertEquals("model", twoModels.param());
        assertEquals("stream", refused("{\"model\":\"m\",\"stream\":false,\"stream\":true}").param());
        assertEquals("stream", refused("{\"stream\":null,\"model\":\"m\",\"stream\":null}").param());
        // The same names inside nested objects are the client's business.
        assertEquals(new ParsedRequest("m", true), parse(
                "{\"model\":\"m\",\"x\":{\"model\":\"a\",\"model\":\"b\",\"stream\":1},\"stream\":true}"));
    }

    @Test
    void deepNestingIsRefusedWithoutAStackOverflow() {
        String deep = "{\"model\":\"m\",\"x\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}";
        assertEquals(ErrorCode.INVALID_REQUEST, refused(deep).code());
    }

    @Test
    void deepNestingIsRefusedWithA400AndNoStackOverflow() {
        for (int depth : new int[] {257, 10_000, 1_000_000}) {
            String body = "{\"model\":\"m\",\"x\":" + "[".repeat(depth) + "]".repeat(depth) + "}";
            RotorException refused = refused(body);
            assertEquals(ErrorCode.INVALID_REQUEST, refused.code());
            assertTrue(refused.getMessage().contains("nesting depth"), refused.getMessage());
        }
        assertEquals(new ParsedRequest("m", false),
                parse("{\"model\":\"m\",\"x\":" + "[".repeat(255) + "]".repeat(255) + "}"));
    }

    @Test
    void malformedJsonIsRefusedWithItsPlaceButWithoutQuotingTheText() {
        for (String body : List.of("{\"model\":\"m\",\"api_key\": secretToken4Ab9}", "{\"model\": secretToken4Ab9",
                "{\"model\":\"m\"} secretToken4Ab9", "{\"secretToken4Ab9\u0001\": 1}")) {
            RotorException refused = refused(body);
            assertEquals(ErrorCode.INVALID_REQUEST, refused.code());
            assertFalse(refused.getMessage().contains("secretToken"), refused.getMessage());
        }
        assertTrue(refused("{\"model\":\"m\",\n\"api_key\": secretToken4Ab9}").getMessage()
                .startsWith("Malformed JSON in request body at line 2, column "));
    }

    @Test
    void overlongNumbersNamesAndModelsAreRefused() {
        assertTrue(refused("{\"model\":\"m\",\"n\":" + "9".repeat(1_001) + "}").getMessage().contains("Number"));
        assertTrue(refused("{\"model\":" + "1".repeat(101) + "}").getMessage().contains("Number"));
        assertTrue(refused("{\"" + "k".repeat(1_001) + "\":1,\"model\":\"m\"}").getMessage().contains("Name"));
        assertEquals("model", refused("{\"model\":\"" + "m".repeat(257) + "\"}").param());
        assertEquals(ErrorCode.INVALID_REQUEST,
                refused("{\"model\":\"" + "m".repeat(RequestParser.MAX_STRING_LENGTH + 1) + "\"}").code());
    }
}
