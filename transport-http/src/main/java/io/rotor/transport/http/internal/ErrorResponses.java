package io.rotor.transport.http.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import io.rotor.api.ErrorCode;
import io.rotor.api.RotorException;
import java.io.IOException;
import java.io.OutputStream;

/** The one place that turns a {@link RotorException} into the contract's error response. */
final class ErrorResponses {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ErrorResponses() {
    }

    /** Sends {@code error} as OpenAI-shaped JSON with its status and, when known, {@code Retry-After}. */
    static void send(HttpExchange exchange, RotorException error) throws IOException {
        byte[] body = body(error);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        if (error.retryAfterMs() != null) {
            exchange.getResponseHeaders().set("Retry-After", Long.toString(retryAfterSeconds(error.retryAfterMs())));
        }
        exchange.sendResponseHeaders(error.code().httpStatus(), body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    static void send(HttpExchange exchange, ErrorCode code, String message) throws IOException {
        send(exchange, new RotorException(code, message));
    }

    /** {@code {"error": {"message", "type", "code", "param", "retry_after_ms"?}}}. */
    static byte[] body(RotorException error) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode fields = root.putObject("error");
        fields.put("message", error.getMessage() != null ? error.getMessage() : error.code().code());
        fields.put("type", error.code().type());
        fields.put("code", error.code().code());
        fields.put("param", error.param());
        if (error.retryAfterMs() != null) {
            fields.put("retry_after_ms", error.retryAfterMs());
        }
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException("an ObjectNode always serializes", e);
        }
    }

    /** Whole seconds, rounded up: retrying after a rounded-down time would only be refused again. */
    static long retryAfterSeconds(long retryAfterMs) {
        return Math.ceilDiv(Math.max(0, retryAfterMs), 1000L);
    }
}
