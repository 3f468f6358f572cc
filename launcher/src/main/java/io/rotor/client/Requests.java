package io.rotor.client;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rotor.api.ClientRequest;
import io.rotor.api.ClientResponse;
import io.rotor.api.Endpoint;
import io.rotor.api.Gateway;
import io.rotor.api.RotorException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.function.Function;

/** Sends the client's requests to the engine and turns its answers into responses, streams or errors. */
final class Requests {

    static final ObjectMapper JSON = new ObjectMapper();
    /** An error body is small; a larger one is cut here rather than read whole. */
    private static final int ERROR_BODY_BYTES = 64 * 1024;

    private final Function<ClientRequest, ClientResponse> engine;

    /** @param engine serves one request (for the client's pool or user key), throwing RotorException */
    Requests(Function<ClientRequest, ClientResponse> engine) {
        this.engine = engine;
    }

    /** Sends a request whose answer is one JSON body; the body's {@code stream} must not be true. */
    RotorResponse create(Endpoint endpoint, ObjectNode body) {
        if (body != null && body.path("stream").asBoolean(false)) {
            throw RotorClientException.invalidRequest("stream", "'stream': true needs stream(...), not create(...).");
        }
        try (ClientResponse response = send(endpoint, body)) {
            String accountId = response.headers().get(Gateway.ACCOUNT_HEADER);
            if (response.status() >= 400) {
                throw errorOf(response, accountId);
            }
            try {
                // Read to the end: only a body read whole counts as served in the account's statistics.
                return new RotorResponse(JSON.readTree(response.body().readAllBytes()), accountId);
            } catch (IOException e) {
                throw new RotorClientException(502, "upstream_error", "upstream_error",
                        "The upstream's response could not be read as JSON.", null, null, accountId, e);
            }
        }
    }

    /** Sends a request with {@code "stream": true} and returns its events as they arrive. */
    ChunkStream stream(Endpoint endpoint, ObjectNode body) {
        body.put("stream", true);
        ClientResponse response = send(endpoint, body);
        if (response.status() >= 400) {
            try (response) {
                throw errorOf(response, response.headers().get(Gateway.ACCOUNT_HEADER));
            }
        }
        return new ChunkStream(response);
    }

    private ClientResponse send(Endpoint endpoint, ObjectNode body) {
        byte[] bytes;
        try {
            bytes = body == null ? new byte[0] : JSON.writeValueAsBytes(body);
        } catch (JacksonException e) {
            throw RotorClientException.invalidRequest(null, "The request cannot be written as JSON: "
                    + e.getOriginalMessage());
        }
        try {
            return engine.apply(new ClientRequest(endpoint, null, bytes));
        } catch (RotorException e) {
            throw RotorClientException.of(e);
        }
    }

    /** A request as an object node: a copy of a JSON object, a Map, or JSON text. */
    static ObjectNode body(Object request) {
        JsonNode node;
        try {
            node = switch (request) {
                case null -> null;
                case String text -> JSON.readTree(text);
                case JsonNode json -> json.deepCopy();
                case Map<?, ?> map -> JSON.valueToTree(map);
                default -> throw new IllegalArgumentException(request.getClass().getName());
            };
        } catch (JacksonException | IllegalArgumentException e) {
            throw RotorClientException.invalidRequest(null, "The request is not valid JSON.");
        }
        if (node == null || !node.isObject()) {
            throw RotorClientException.invalidRequest(null, "The request must be a JSON object.");
        }
        return (ObjectNode) node;
    }

    /** The error a non-2xx response carries in OpenAI's shape (an upstream refusal passed back as it came). */
    private static RotorClientException errorOf(ClientResponse response, String accountId) {
        InputStream body = response.body();
        JsonNode root;
        try {
            root = JSON.readTree(body.readNBytes(ERROR_BODY_BYTES));
        } catch (IOException e) {
            root = null; // not JSON, or cut off: the status alone describes it
        }
        return errorOf(response.status(), root, accountId);
    }

    /** The error in {@code {"error": {...}}}, or a bare one naming only the status. */
    static RotorClientException errorOf(int status, JsonNode root, String accountId) {
        JsonNode error = root == null ? JSON.missingNode() : root.path("error");
        String code = text(error.get("code"));
        String message = text(error.get("message"));
        JsonNode retryAfter = error.get("retry_after_ms");
        return new RotorClientException(status, code != null ? code : String.valueOf(status), text(error.get("type")),
                message != null ? message : "The upstream answered HTTP " + status + ".", text(error.get("param")),
                retryAfter != null && retryAfter.canConvertToLong() ? retryAfter.asLong() : null, accountId, null);
    }

    private static String text(JsonNode node) {
        return node == null || node.isNull() ? null : node.asText();
    }
}
