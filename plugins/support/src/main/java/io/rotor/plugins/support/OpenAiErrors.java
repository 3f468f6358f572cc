package io.rotor.plugins.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rotor.api.UpstreamResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Errors in OpenAI's shape, {@code {"error": {"message", "type", "code", "param"}}}, as upstream responses. */
public final class OpenAiErrors {

    /** Enough of an error body for its message; error bodies are small. */
    public static final int ERROR_BODY_BYTES = 64 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> HOP_HEADERS = List.of("content-length", "content-type", "transfer-encoding",
            "content-encoding", "connection");

    private OpenAiErrors() {
    }

    /** An error response with {@code status} and {@code message}; {@code retryAfter} may be null. */
    public static UpstreamResponse response(int status, String message, Duration retryAfter) {
        return new UpstreamResponse(status, jsonHeaders(), new ByteArrayInputStream(body(status, message, null)),
                retryAfter);
    }

    /** The error object for {@code status}, with an OpenAI error type chosen by status. */
    public static byte[] body(int status, String message, String code) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", message);
        error.put("type", type(status));
        error.put("code", code != null ? code : String.valueOf(status));
        error.putNull("param");
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Rewrites a non-2xx upstream response into OpenAI's error shape, keeping its status and headers
     * (Retry-After, …) and the upstream's message, found in the usual places ({@code error.message},
     * {@code error_description}, FastAPI's {@code detail}, {@code message}). Closes the upstream response.
     *
     * @param retryAfter a cooldown hint for the engine, or null
     */
    public static UpstreamResponse fromUpstream(UpstreamResponse upstream, String upstreamName, Duration retryAfter)
            throws IOException {
        byte[] raw;
        try (upstream) {
            raw = upstream.body().readNBytes(ERROR_BODY_BYTES);
        }
        return fromUpstream(upstream.status(), upstream.headers(), raw, upstreamName, retryAfter);
    }

    /** As {@link #fromUpstream(UpstreamResponse, String, Duration)} for a body already read. */
    public static UpstreamResponse fromUpstream(int status, Map<String, List<String>> headers, byte[] raw,
            String upstreamName, Duration retryAfter) {
        String message = message(raw);
        String code = code(raw);
        String text = upstreamName + " answered HTTP " + status + (message != null ? ": " + message : "");
        Map<String, List<String>> kept = new LinkedHashMap<>();
        headers.forEach((name, values) -> {
            if (!HOP_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                kept.put(name, values);
            }
        });
        kept.putAll(jsonHeaders());
        return new UpstreamResponse(status, kept, new ByteArrayInputStream(body(status, text, code)), retryAfter);
    }

    /** The upstream's own error message in a JSON error body, or null. */
    public static String message(byte[] raw) {
        JsonNode root = parse(raw);
        if (root == null) {
            String text = new String(raw, StandardCharsets.UTF_8).strip();
            return text.isEmpty() || text.startsWith("<") ? null : abbreviate(text);
        }
        JsonNode error = root.path("error");
        if (error.path("message").isTextual()) {
            return abbreviate(error.path("message").asText());
        }
        if (root.path("error_description").isTextual()) {
            return abbreviate(root.path("error_description").asText());
        }
        if (error.isTextual()) {
            return abbreviate(error.asText());
        }
        JsonNode detail = root.path("detail");
        if (detail.isTextual()) {
            return abbreviate(detail.asText());
        }
        if (detail.isArray() && detail.path(0).path("msg").isTextual()) {
            return abbreviate(detail.path(0).path("msg").asText());
        }
        if (root.path("message").isTextual()) {
            return abbreviate(root.path("message").asText());
        }
        return null;
    }

    private static String code(byte[] raw) {
        JsonNode root = parse(raw);
        if (root == null) {
            return null;
        }
        JsonNode error = root.path("error");
        if (error.path("status").isTextual()) {
            return error.path("status").asText(); // Google: RESOURCE_EXHAUSTED, PERMISSION_DENIED, …
        }
        if (error.path("code").isTextual()) {
            return error.path("code").asText();
        }
        return error.isTextual() ? error.asText() : null; // OAuth: invalid_grant, …
    }

    /** Parses a JSON body, or returns null when it is none. */
    public static JsonNode parse(byte[] raw) {
        try {
            JsonNode root = JSON.readTree(raw);
            return root != null && root.isObject() ? root : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Reads at most {@link #ERROR_BODY_BYTES} of a body. */
    public static byte[] readErrorBody(InputStream body) throws IOException {
        return body.readNBytes(ERROR_BODY_BYTES);
    }

    public static Map<String, List<String>> jsonHeaders() {
        return Map.of("Content-Type", List.of("application/json"));
    }

    private static String type(int status) {
        return switch (status) {
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 429 -> "rate_limit_error";
            default -> status >= 500 ? "upstream_error" : "invalid_request_error";
        };
    }

    private static String abbreviate(String text) {
        String line = text.replaceAll("\\s+", " ").strip();
        return line.length() <= 500 ? line : line.substring(0, 500) + "…";
    }
}
