package io.rotor.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local stand-in for the K2 Think web API (Open WebUI): email + password sign-in that answers with
 * a token in the body or in a {@code token} cookie, bearer-token chat completions that think in
 * {@code <think>} tags, JSON or SSE, tool calls when tools are offered, and a per-account limit
 * answered with 429.
 */
final class FakeK2Think implements AutoCloseable {

    /** One account: its password, whether its token comes as a cookie, and how many chats it serves before 429s. */
    record User(String password, boolean tokenInCookie, int limit) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final Map<String, User> users = new ConcurrentHashMap<>();
    private final Map<String, String> tokens = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> served = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> signIns = new ConcurrentHashMap<>();
    private final AtomicInteger issued = new AtomicInteger();
    private volatile JsonNode lastChat;

    FakeK2Think() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    FakeK2Think user(String email, User user) {
        users.put(email, user);
        return this;
    }

    int served(String email) {
        return served.getOrDefault(email, new AtomicInteger()).get();
    }

    int signIns(String email) {
        return signIns.getOrDefault(email, new AtomicInteger()).get();
    }

    /** The body of the last chat request that was served. */
    JsonNode lastChat() {
        return lastChat;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            byte[] body = exchange.getRequestBody().readAllBytes();
            switch (path) {
                case "/api/v1/auths/signin" -> signIn(exchange, JSON.readTree(body));
                case "/api/chat/completions" -> chat(exchange, JSON.readTree(body));
                case "/api/models" -> {
                    if (caller(exchange) == null) {
                        send(exchange, 401, "{\"detail\":\"Not authenticated\"}", "application/json");
                    } else {
                        send(exchange, 200, "{\"data\":[{\"id\":\"MBZUAI-IFM/K2-Think-v2\",\"name\":\"K2 Think\"}]}",
                                "application/json");
                    }
                }
                default -> send(exchange, 404, "{\"detail\":\"Not Found\"}", "application/json");
            }
        }
    }

    private void signIn(HttpExchange exchange, JsonNode credentials) throws IOException {
        String email = credentials.path("email").asText();
        User user = users.get(email);
        signIns.computeIfAbsent(email, e -> new AtomicInteger()).incrementAndGet();
        if (user == null || !user.password().equals(credentials.path("password").asText())) {
            send(exchange, 400, "{\"detail\":\"The email or password provided is incorrect. Please check for typos"
                    + " and try logging in again.\"}", "application/json");
            return;
        }
        String token = "k2-session-" + issued.incrementAndGet();
        tokens.put(token, email);
        if (user.tokenInCookie()) {
            exchange.getResponseHeaders().add("Set-Cookie", "token=" + token + "; Path=/; HttpOnly; SameSite=Lax");
            send(exchange, 200, "{\"id\":\"u\",\"email\":\"" + email + "\",\"role\":\"user\"}", "application/json");
        } else {
            send(exchange, 200, "{\"token\":\"" + token + "\",\"token_type\":\"Bearer\",\"expires_at\":null}",
                    "application/json");
        }
    }

    private void chat(HttpExchange exchange, JsonNode request) throws IOException {
        String email = caller(exchange);
        if (email == null) {
            send(exchange, 401, "{\"detail\":\"Not authenticated\"}", "application/json");
            return;
        }
        AtomicInteger count = served.computeIfAbsent(email, e -> new AtomicInteger());
        if (count.get() >= users.get(email).limit()) {
            exchange.getResponseHeaders().add("Retry-After", "30");
            send(exchange, 429, "{\"detail\":\"Too many requests. Please try again in 30s.\"}", "application/json");
            return;
        }
        count.incrementAndGet();
        lastChat = request;
        String name = email.substring(0, email.indexOf('@'));
        boolean tools = request.path("tools").isArray() && !request.path("tools").isEmpty();
        if (request.path("stream").asBoolean(false)) {
            stream(exchange, name, tools ? request.at("/tools/0/function/name").asText() : null);
        } else if (tools) {
            send(exchange, 200, "{\"id\":\"chatcmpl-k2\",\"object\":\"chat.completion\",\"created\":1,\"model\":"
                    + "\"MBZUAI-IFM/K2-Think-v2\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                    + "\"content\":null,\"tool_calls\":[{\"id\":\"call_k2\",\"type\":\"function\",\"function\":{\"name\":\""
                    + request.at("/tools/0/function/name").asText() + "\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},"
                    + "\"finish_reason\":\"tool_calls\"}]}", "application/json");
        } else {
            ObjectNode message = JSON.createObjectNode().put("role", "assistant")
                    .put("content", "<think>Thinking about it</think>\n\n<answer>Hello from " + name + "</answer>");
            ObjectNode completion = JSON.createObjectNode().put("id", "chatcmpl-k2").put("object", "chat.completion")
                    .put("created", 1).put("model", "MBZUAI-IFM/K2-Think-v2");
            completion.putArray("choices").addObject().put("index", 0).put("finish_reason", "stop")
                    .set("message", message);
            completion.putObject("usage").put("prompt_tokens", 5).put("completion_tokens", 7).put("total_tokens", 12);
            send(exchange, 200, JSON.writeValueAsString(completion), "application/json");
        }
    }

    private static void stream(HttpExchange exchange, String name, String tool) throws IOException {
        exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        event(out, "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"<think>\"}}]}");
        event(out, "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Thinking\"}}]}");
        event(out, "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"</think>\\n\\n\"}}]}");
        if (tool != null) {
            event(out, "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_k2\",\"type\":"
                    + "\"function\",\"function\":{\"name\":\"" + tool + "\",\"arguments\":\"{}\"}}]}}]}");
            event(out, "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}");
        } else {
            event(out, "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello from \"}}]}");
            event(out, "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + name + "\"},\"finish_reason\":\"stop\"}]}");
        }
        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void event(OutputStream out, String json) throws IOException {
        out.write(("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private String caller(HttpExchange exchange) {
        String auth = exchange.getRequestHeaders().getFirst("Authorization");
        return auth != null && auth.startsWith("Bearer ") ? tokens.get(auth.substring(7)) : null;
    }

    private static void send(HttpExchange exchange, int status, String body, String contentType) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
