package io.rotor.core.engine.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import io.rotor.api.Endpoint;
import io.rotor.api.RotorException;
import java.io.IOException;

/**
 * Step 2: reads {@code model} and {@code stream} from a client body with a streaming parser, so
 * a large body (images as data URLs) is scanned once and never turned into a tree. The body itself
 * is forwarded upstream unchanged.
 */
final class RequestParser {

    /** Longest JSON string value read, in characters. */
    static final int MAX_STRING_LENGTH = 20 * 1024 * 1024;
    /** Longest model name accepted; real ones are a few dozen characters. */
    static final int MAX_MODEL_LENGTH = 256;

    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(256)
                    .maxNumberLength(100)
                    // Data-URL images are long strings; the HTTP edge's 20 MiB body limit bounds them anyway.
                    .maxStringLength(MAX_STRING_LENGTH)
                    .maxNameLength(1_000)
                    .build())
            .build();

    private RequestParser() {
    }

    static ParsedRequest parse(Endpoint endpoint, byte[] body) {
        if (endpoint == Endpoint.MODELS) {
            return new ParsedRequest(null, false);
        }
        String model = null;
        boolean stream = false;
        boolean streamSeen = false;
        try (JsonParser parser = JSON.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw RotorException.badParam(null, "The request body must be a JSON object.");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if ("model".equals(field)) {
                    if (model != null) {
                        // Rotor and the upstream could read different models (first or last): refuse, never guess.
                        throw RotorException.badParam("model", "'model' is given more than once.");
                    }
                    if (value != JsonToken.VALUE_STRING || parser.getText().isBlank()) {
                        throw RotorException.badParam("model", "'model' must be a non-empty string.");
                    }
                    model = parser.getText();
                    if (model.length() > MAX_MODEL_LENGTH) {
                        throw RotorException.badParam("model", "'model' is longer than " + MAX_MODEL_LENGTH
                                + " characters.");
                    }
                } else if ("stream".equals(field)) {
                    if (streamSeen) {
                        throw RotorException.badParam("stream", "'stream' is given more than once.");
                    }
                    streamSeen = true;
                    if (value != JsonToken.VALUE_TRUE && value != JsonToken.VALUE_FALSE && value != JsonToken.VALUE_NULL) {
                        throw RotorException.badParam("stream", "'stream' must be a boolean.");
                    }
                    stream = value == JsonToken.VALUE_TRUE;
                } else {
                    parser.skipChildren();
                }
            }
            if (parser.nextToken() != null) {
                throw RotorException.badParam(null, "Unexpected content after the JSON object.");
            }
        } catch (StreamConstraintsException e) {
            // A limit (nesting depth, number or name length): the message names sizes, never the text.
            throw RotorException.badParam(null, "Malformed JSON in request body: " + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            // Where, not what: Jackson's own message quotes the offending text, which may be a misplaced secret.
            throw RotorException.badParam(null, "Malformed JSON in request body" + (e.getLocation() == null ? "."
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + "."));
        } catch (IOException e) {
            throw RotorException.badParam(null, "Unreadable request body.");
        }
        if (model == null) {
            throw RotorException.badParam("model", "Missing required field 'model'.");
        }
        return new ParsedRequest(model, stream);
    }
}
