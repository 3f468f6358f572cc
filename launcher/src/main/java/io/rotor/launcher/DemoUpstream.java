package io.rotor.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;

/**
 * The demo's stand-in for an OpenAI-compatible provider, on loopback only: bearer keys, chat
 * completions (JSON or streamed SSE), embeddings and a model list. Like a real provider it limits
 * each key to a few requests per window and answers {@code 429} with {@code Retry-After} beyond that.
 */
final class DemoUpstream implements AutoCloseable {

    static final String CHAT_MODEL = "demo-model";
    static final String EMBEDDING_MODEL = "demo-embedding";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A key's allowance: {@code requests} per {@code window}. */
    record Limit(int requests, Duration window) {
    }

    /** One key's current window. */
    private record Window(long start, int used) {
    }

    private final HttpServer server;
    private final Map<String, Limit> keys;
    private final Map<String, Window> windows = new ConcurrentHashMap<>();
    private final Clock clock;

    /** Starts on a free loopback port, serving exactly the given keys. */
    DemoUpstream(Map<String, Limit> keys, Clock clock) throws IOException {
        this.keys = Map.copyOf(keys);
        this.clock = clock;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/v1/", this::handle);
        server.start();
    }

    /** The base URL as an OpenAI SDK takes it, including {@code /v1}. */
    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            String key = auth != null && auth.startsWith("Bearer ") ? auth.substring(7).trim() : "";
            Limit limit = keys.get(key);
            if (limit == null) {
                error(exchange, 401, "invalid_api_key", "Incorrect API key provided.", null);
                return;
            }
            long retryAfterMs = take(key, limit);
            if (retryAfterMs > 0) {
                long seconds = (retryAfterMs + 999) / 1000;
                error(exchange, 429, "rate_limit_exceeded", "Rate limit reached: " + limit.requests()
                        + " requests per " + limit.window().toSeconds() + " s. Try again in " + seconds + "s.", seconds);
                return;
            }
            String route = exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath();
            switch (route) {
                case "GET /v1/models" -> send(exchange, 200, Map.of("object", "list", "data", new Object[] {
                        model(CHAT_MODEL), model(EMBEDDING_MODEL)}));
                case "POST /v1/chat/completions" -> chat(exchange, key, body);
                case "POST /v1/embeddings" -> send(exchange, 200, Map.of("object", "list", "model", EMBEDDING_MODEL,
                        "data", new Object[] {Map.of("object", "embedding", "index", 0,
                                "embedding", new double[] {0.1, 0.2, 0.3})}));
                default -> error(exchange, 404, "not_found", "No route " + route + ".", null);
            }
        }
    }

    /** Counts a request against the key's window; returns 0 if allowed, else milliseconds until it would be. */
    private long take(String key, Limit limit) {
        long now = clock.millis();
        long[] wait = new long[1];
        windows.compute(key, (k, window) -> {
            if (window == null || now - window.start() >= limit.window().toMillis()) {
                window = new Window(now, 0);
            }
            if (window.used() >= limit.requests()) {
                wait[0] = Math.max(1, window.start() + limit.window().toMillis() - now);
                return window;
            }
            return new Window(window.start(), window.used() + 1);
        });
        return wait[0];
    }

    private void chat(HttpExchange exchange, String key, byte[] body) throws IOException {
        JsonNode request;
        try {
            request = JSON.readTree(body);
        } catch (IOException e) {
            error(exchange, 400, "invalid_request", "The body is not JSON.", null);
            return;
        }
        String answer = "Hello from the demo upstream (served with key " + key + ").";
        if (!request.path("stream").asBoolean(false)) {
            send(exchange, 200, Map.of("id", "chatcmpl-demo", "object", "chat.completion", "created", 0,
                    "model", CHAT_MODEL, "choices", new Object[] {Map.of("index", 0, "finish_reason", "stop",
                            "message", Map.of("role", "assistant", "content", answer))}));
            return;
        }
        exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        for (String word : answer.split("(?<= )")) {
            String chunk = JSON.writeValueAsString(Map.of("id", "chatcmpl-demo", "object", "chat.completion.chunk",
                    "model", CHAT_MODEL, "choices", new Object[] {Map.of("index", 0, "delta",
                            Map.of("content", word))}));
            out.write(("data: " + chunk + "\n\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
    }

    private static Map<String, Object> model(String id) {
        return Map.of("id", id, "object", "model", "created", 0, "owned_by", "rotor-demo");
    }

    private static void error(HttpExchange exchange, int status, String code, String message, Long retryAfterSeconds)
            throws IOException {
        if (retryAfterSeconds != null) {
            exchange.getResponseHeaders().add("Retry-After", String.valueOf(retryAfterSeconds));
        }
        send(exchange, status, Map.of("error", Map.of("message", message, "type", "requests", "code", code)));
    }

    private static void send(HttpExchange exchange, int status, Object json) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(json);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
