package io.rotor.launcher;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local stand-in for an OpenAI-compatible provider that speaks its HTTP protocol: bearer keys,
 * a per-key request limit answered with 429 and {@code Retry-After}, JSON completions and SSE
 * streams. Every response names the key that served it, so tests can see the rotation.
 */
final class FakeOpenAi implements AutoCloseable {

    /** How one key behaves: served normally, or limited to {@code limit} requests and then 429s. */
    record KeyRule(int limit, String retryAfter, int status) {
        static KeyRule unlimited() {
            return new KeyRule(Integer.MAX_VALUE, null, 200);
        }
    }

    /** The embedding [0.1, 0.2] as OpenAI sends it when asked for base64: float32 values, little-endian. */
    static final String BASE64_EMBEDDING = base64Floats(0.1f, 0.2f);

    private final HttpServer server;
    private final Map<String, KeyRule> keys = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> served = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> received = new ConcurrentHashMap<>();
    private volatile CountDownLatch streamGate = new CountDownLatch(0);
    private final Semaphore cancelledStreams = new Semaphore(0);

    private static String base64Floats(float... values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float value : values) {
            bytes.putFloat(value);
        }
        return Base64.getEncoder().encodeToString(bytes.array());
    }

    FakeOpenAi() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/v1/", this::handle);
        server.start();
    }

    /** The base URL as an OpenAI SDK takes it, including {@code /v1}. */
    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    FakeOpenAi key(String key, KeyRule rule) {
        keys.put(key, rule);
        return this;
    }

    /** Requests a key got through with (2xx). */
    int served(String key) {
        return served.getOrDefault(key, new AtomicInteger()).get();
    }

    /** Requests a key was presented with, whatever the answer. */
    int received(String key) {
        return received.getOrDefault(key, new AtomicInteger()).get();
    }

    /** Holds every stream after its first chunk until the returned latch is released. */
    CountDownLatch holdStreams() {
        streamGate = new CountDownLatch(1);
        return streamGate;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            String key = auth != null && auth.startsWith("Bearer ") ? auth.substring(7) : "";
            received.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            KeyRule rule = keys.get(key);
            if (rule == null) {
                send(exchange, 401, "{\"error\":{\"message\":\"Incorrect API key provided\",\"type\":\"invalid_request_error\","
                        + "\"code\":\"invalid_api_key\"}}", Map.of());
                return;
            }
            if (rule.status() != 200) {
                send(exchange, rule.status(), "{\"error\":{\"message\":\"upstream trouble\"}}", Map.of());
                return;
            }
            int count = served.computeIfAbsent(key, k -> new AtomicInteger()).get();
            if (count >= rule.limit()) {
                send(exchange, 429, "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\","
                        + "\"code\":\"rate_limit_exceeded\"}}",
                        rule.retryAfter() == null ? Map.of() : Map.of("Retry-After", rule.retryAfter()));
                return;
            }
            served.get(key).incrementAndGet();
            String path = exchange.getRequestURI().getPath();
            if (path.equals("/v1/models")) {
                send(exchange, 200, "{\"object\":\"list\",\"data\":[{\"id\":\"fake-model\",\"object\":\"model\","
                        + "\"created\":0,\"owned_by\":\"fake\"}]}", Map.of());
            } else if (body.contains("\"stream\":true") || body.contains("\"stream\": true")) {
                stream(exchange, key);
            } else if (path.equals("/v1/embeddings")) {
                // OpenAI's SDKs ask for base64 (float32, little-endian) unless the caller picks a format.
                String embedding = body.contains("\"encoding_format\":\"base64\"") ? "\"" + BASE64_EMBEDDING + "\""
                        : "[0.1,0.2]";
                send(exchange, 200, "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
                        + "\"embedding\":" + embedding + "}],\"model\":\"fake-embed\",\"served_by\":\"" + key + "\"}",
                        Map.of());
            } else {
                send(exchange, 200, "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":0,\"model\":\"fake-model\","
                        + "\"served_by\":\"" + key + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                        + "\"content\":\"hello\"},\"finish_reason\":\"stop\"}]}", Map.of());
            }
        }
    }

    private void stream(HttpExchange exchange, String key) throws IOException {
        exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        try {
            out.write(chunk("Hel").getBytes(StandardCharsets.UTF_8));
            out.flush();
            // While held, an SSE comment every 20 ms: a client that went away makes a write fail.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!streamGate.await(20, TimeUnit.MILLISECONDS)) {
                if (System.nanoTime() > deadline) {
                    return; // the test never released us: end without [DONE]
                }
                out.write(": held\n\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
            out.write((chunk("lo") + "data: [DONE]\n\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            cancelledStreams.release();
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits until a stream's client went away while it was being sent; false if none did in time. */
    boolean awaitCancelledStream(long seconds) throws InterruptedException {
        return cancelledStreams.tryAcquire(seconds, TimeUnit.SECONDS);
    }

    private static String chunk(String content) {
        return "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
                + "\"delta\":{\"content\":\"" + content + "\"}}]}\n\n";
    }

    private static void send(HttpExchange exchange, int status, String json, Map<String, String> headers)
            throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        headers.forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    List<String> keys() {
        return List.copyOf(keys.keySet());
    }

    @Override
    public void close() {
        streamGate.countDown();
        server.stop(0);
    }
}
