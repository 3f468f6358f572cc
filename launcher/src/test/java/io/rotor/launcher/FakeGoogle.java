package io.rotor.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local stand-in for Google's side of the Gemini CLI: the OAuth token endpoint (refresh tokens, form
 * fields, {@code invalid_grant}), Code Assist's {@code loadCodeAssist}, {@code generateContent} and
 * {@code streamGenerateContent?alt=sse} (with a per-credential quota answered by 429
 * {@code RESOURCE_EXHAUSTED} and "reset after 53s"), and an image to fetch.
 */
final class FakeGoogle implements AutoCloseable {

    /** One Gemini CLI credential: its Code Assist project and how many generations it gets before 429s. */
    record Credential(String project, int limit) {
    }

    static final byte[] CAT_PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 1, 2, 3};
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final Map<String, Credential> byRefreshToken = new ConcurrentHashMap<>();
    private final Map<String, String> accessTokens = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> served = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> refreshes = new ConcurrentHashMap<>();
    private final AtomicInteger issued = new AtomicInteger();
    private volatile JsonNode lastGenerate;
    private volatile String lastClientId;
    private volatile String lastClientSecret;

    FakeGoogle() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    String tokenUrl() {
        return baseUrl() + "/token";
    }

    String imageUrl() {
        return baseUrl() + "/images/cat.png";
    }

    FakeGoogle credential(String refreshToken, Credential credential) {
        byRefreshToken.put(refreshToken, credential);
        return this;
    }

    /** The Gemini CLI's {@code oauth_creds.json} for a refresh token. */
    static String oauthCreds(String refreshToken) {
        return "{\"access_token\":\"ya29.expired\",\"refresh_token\":\"" + refreshToken + "\",\"scope\":"
                + "\"https://www.googleapis.com/auth/cloud-platform\",\"token_type\":\"Bearer\",\"expiry_date\":1,"
                + "\"type\":\"authorized_user\"}";
    }

    int served(String project) {
        return served.getOrDefault(project, new AtomicInteger()).get();
    }

    int refreshes(String refreshToken) {
        return refreshes.getOrDefault(refreshToken, new AtomicInteger()).get();
    }

    JsonNode lastGenerate() {
        return lastGenerate;
    }

    String lastClientId() {
        return lastClientId;
    }

    String lastClientSecret() {
        return lastClientSecret;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            byte[] body = exchange.getRequestBody().readAllBytes();
            switch (path) {
                case "/token" -> token(exchange, new String(body, StandardCharsets.UTF_8));
                case "/v1internal:loadCodeAssist" -> {
                    Credential credential = caller(exchange);
                    if (credential == null) {
                        unauthenticated(exchange);
                    } else {
                        send(exchange, 200, "{\"currentTier\":{\"id\":\"free-tier\",\"name\":\"Gemini Code Assist for"
                                + " individuals\"},\"cloudaicompanionProject\":\"" + credential.project() + "\"}");
                    }
                }
                case "/v1internal:generateContent" -> generate(exchange, JSON.readTree(body), false);
                case "/v1internal:streamGenerateContent" -> generate(exchange, JSON.readTree(body), true);
                case "/images/cat.png" -> {
                    exchange.getResponseHeaders().add("Content-Type", "image/png");
                    exchange.sendResponseHeaders(200, CAT_PNG.length);
                    exchange.getResponseBody().write(CAT_PNG);
                }
                default -> send(exchange, 404, "{\"error\":{\"code\":404,\"message\":\"Not found\",\"status\":"
                        + "\"NOT_FOUND\"}}");
            }
        }
    }

    private void token(HttpExchange exchange, String form) throws IOException {
        Map<String, String> fields = new HashMap<>();
        for (String pair : form.split("&")) {
            int eq = pair.indexOf('=');
            fields.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                    URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        lastClientId = fields.get("client_id");
        lastClientSecret = fields.get("client_secret");
        String refreshToken = fields.get("refresh_token");
        refreshes.computeIfAbsent(String.valueOf(refreshToken), r -> new AtomicInteger()).incrementAndGet();
        if (!"refresh_token".equals(fields.get("grant_type")) || fields.get("client_secret") == null
                || !byRefreshToken.containsKey(refreshToken)) {
            send(exchange, 400, "{\"error\":\"invalid_grant\",\"error_description\":\"Token has been expired or"
                    + " revoked.\"}");
            return;
        }
        String accessToken = "ya29.fake-" + issued.incrementAndGet();
        accessTokens.put(accessToken, refreshToken);
        send(exchange, 200, "{\"access_token\":\"" + accessToken + "\",\"expires_in\":3599,\"scope\":"
                + "\"https://www.googleapis.com/auth/cloud-platform\",\"token_type\":\"Bearer\"}");
    }

    private void generate(HttpExchange exchange, JsonNode request, boolean stream) throws IOException {
        Credential credential = caller(exchange);
        if (credential == null) {
            unauthenticated(exchange);
            return;
        }
        if (!credential.project().equals(request.path("project").asText())) {
            send(exchange, 403, "{\"error\":{\"code\":403,\"message\":\"Permission denied on project\",\"status\":"
                    + "\"PERMISSION_DENIED\"}}");
            return;
        }
        AtomicInteger count = served.computeIfAbsent(credential.project(), p -> new AtomicInteger());
        if (count.get() >= credential.limit()) {
            send(exchange, 429, "{\"error\":{\"code\":429,\"message\":\"You have exhausted your capacity on this"
                    + " model. Your quota will reset after 53s.\",\"status\":\"RESOURCE_EXHAUSTED\",\"details\":[{"
                    + "\"@type\":\"type.googleapis.com/google.rpc.ErrorInfo\",\"reason\":\"RATE_LIMIT_EXCEEDED\","
                    + "\"domain\":\"cloudcode-pa.googleapis.com\"},{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\","
                    + "\"retryDelay\":\"53.1s\"}]}}");
            return;
        }
        count.incrementAndGet();
        lastGenerate = request;
        ArrayNode parts = answer(request.path("request"), credential);
        if (!stream) {
            ObjectNode answer = JSON.createObjectNode().put("traceId", "trace-" + count.get());
            ObjectNode response = answer.putObject("response");
            ObjectNode candidate = response.putArray("candidates").addObject();
            candidate.putObject("content").put("role", "model").set("parts", parts);
            candidate.put("finishReason", "STOP");
            usage(response);
            send(exchange, 200, JSON.writeValueAsString(answer));
            return;
        }
        exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        for (int i = 0; i < parts.size(); i++) {
            ObjectNode event = JSON.createObjectNode().put("traceId", "trace-stream");
            ObjectNode response = event.putObject("response");
            ObjectNode candidate = response.putArray("candidates").addObject();
            candidate.putObject("content").put("role", "model").putArray("parts").add(parts.get(i));
            if (i == parts.size() - 1) {
                candidate.put("finishReason", "STOP");
                usage(response);
            }
            out.write(("data: " + JSON.writeValueAsString(event) + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
    }

    /**
     * What the model says: a function call when tools are offered and no result came back yet, the result
     * once it did, a description of an image it was shown, else a greeting naming the project.
     */
    private static ArrayNode answer(JsonNode request, Credential credential) {
        ArrayNode parts = JSON.createArrayNode();
        JsonNode contents = request.path("contents");
        JsonNode last = contents.get(contents.size() - 1);
        JsonNode result = null;
        JsonNode image = null;
        for (JsonNode part : last.path("parts")) {
            result = part.has("functionResponse") ? part.path("functionResponse") : result;
            image = part.has("inlineData") ? part.path("inlineData") : image;
        }
        parts.addObject().put("text", "Let me think.").put("thought", true);
        if (result != null) {
            parts.addObject().put("text", "It is " + result.path("response").path("output").asText() + " in "
                    + result.path("name").asText() + " terms.");
        } else if (request.path("tools").isArray() && !request.path("tools").isEmpty()) {
            ObjectNode call = parts.addObject().put("thoughtSignature", "sig-" + credential.project());
            call.putObject("functionCall").put("name",
                    request.at("/tools/0/functionDeclarations/0/name").asText()).putObject("args").put("city", "Paris");
        } else if (image != null) {
            parts.addObject().put("text", "I see a " + image.path("mimeType").asText() + " of "
                    + Base64.getDecoder().decode(image.path("data").asText()).length + " bytes.");
        } else {
            parts.addObject().put("text", "Hello from ");
            parts.addObject().put("text", credential.project());
        }
        return parts;
    }

    private static void usage(ObjectNode response) {
        response.putObject("usageMetadata").put("promptTokenCount", 8).put("candidatesTokenCount", 4)
                .put("thoughtsTokenCount", 3).put("totalTokenCount", 15);
    }

    private Credential caller(HttpExchange exchange) {
        String auth = exchange.getRequestHeaders().getFirst("Authorization");
        String refreshToken = auth != null && auth.startsWith("Bearer ") ? accessTokens.get(auth.substring(7)) : null;
        return refreshToken == null ? null : byRefreshToken.get(refreshToken);
    }

    private static void unauthenticated(HttpExchange exchange) throws IOException {
        send(exchange, 401, "{\"error\":{\"code\":401,\"message\":\"Request had invalid authentication credentials.\","
                + "\"status\":\"UNAUTHENTICATED\"}}");
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json; charset=UTF-8");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
