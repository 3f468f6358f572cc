package io.rotor.core.engine.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.rotor.api.Endpoint;
import io.rotor.api.ErrorCode;
import io.rotor.api.RotorException;
import java.io.IOException;

/**
 * The request parser against an oracle: Jackson's tree parser under the same limits, with duplicate
 * names refused. Whatever the bytes, the parser returns or refuses with 400 {@code invalid_request};
 * where the oracle reads a body, the parser reads the same model and stream flag.
 */
class RequestParserFuzzTest {

    private static final ObjectMapper ORACLE = JsonMapper.builder(com.fasterxml.jackson.core.JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(256)
                            .maxNumberLength(100)
                            .maxStringLength(RequestParser.MAX_STRING_LENGTH)
                            .maxNameLength(1_000)
                            .build())
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    @FuzzTest(maxDuration = "30s")
    void readsWhatTheOracleReadsAndRefusesTheRestWith400(byte[] body) {
        ParsedRequest parsed = null;
        RotorException refused = null;
        try {
            parsed = RequestParser.parse(Endpoint.CHAT_COMPLETIONS, body);
        } catch (RotorException e) {
            refused = e;
        }
        Oracle expected = oracle(body);
        if (refused != null) {
            assertEquals(ErrorCode.INVALID_REQUEST, refused.code());
            assertNotNull(refused.getMessage());
            if (expected.request() != null) {
                throw new AssertionError("refused a body the oracle reads as " + expected.request() + ": "
                        + refused.getMessage());
            }
            return;
        }
        ParsedRequest read = parsed;
        assertNotNull(read.model());
        if (expected.request() != null) {
            assertEquals(expected.request(), read);
        } else {
            // The streaming parser skips what it does not read, so it may let pass what only a full read refuses;
            // never a duplicate top-level name (checked by the parser itself) nor a body that is not one object.
            assertTrue(expected.lenientDifference(), () -> "accepted " + read + " where the oracle refuses: "
                    + expected.refusal());
        }
    }

    private record Oracle(ParsedRequest request, String refusal, boolean lenientDifference) {
    }

    /** A repeated top-level {@code model} or {@code stream} is a refusal the parser must make itself. */
    private static boolean duplicateTopLevelModelOrStream(JsonProcessingException e, String message) {
        if (!(e.getProcessor() instanceof JsonParser parser)) {
            return false;
        }
        JsonStreamContext context = parser.getParsingContext();
        boolean topLevel = context != null && context.getParent() != null && context.getParent().inRoot();
        return topLevel && (message.contains("'model'") || message.contains("'stream'"));
    }

    private static Oracle oracle(byte[] body) {
        JsonNode root;
        try {
            root = ORACLE.readTree(body);
        } catch (JsonProcessingException e) {
            String message = String.valueOf(e.getOriginalMessage());
            // Duplicates inside nested values, and the text of skipped strings, are the upstream's business.
            boolean lenient = message.contains("Duplicate field") && !duplicateTopLevelModelOrStream(e, message)
                    || message.contains("UTF-8") || message.contains("UTF8") || message.contains("surrogate");
            return new Oracle(null, message, lenient);
        } catch (IOException e) {
            return new Oracle(null, e.toString(), false);
        }
        if (root == null || !root.isObject()) {
            return new Oracle(null, "not an object", false);
        }
        JsonNode model = root.get("model");
        JsonNode stream = root.get("stream");
        if (model == null || !model.isTextual() || model.asText().isBlank()
                || model.asText().length() > RequestParser.MAX_MODEL_LENGTH) {
            return new Oracle(null, "model", false);
        }
        if (stream != null && !stream.isBoolean() && !stream.isNull()) {
            return new Oracle(null, "stream", false);
        }
        return new Oracle(new ParsedRequest(model.asText(), stream != null && stream.asBoolean()), null, false);
    }
}
