package io.rotor.launcher;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local OpenAI-compatible upstream on a raw socket, for the faults a JDK server cannot make: a reset,
 * a stream cut in the middle, silence before or after the response started. Each bearer key behaves as
 * its {@link Fault} says (changeable between requests); one request per connection
 * ({@code Connection: close}). It notices when Rotor hangs up on a connection it holds open.
 */
final class FaultyOpenAi implements AutoCloseable {

    enum Fault {
        /** A JSON completion. */
        OK,
        /** A whole SSE stream ending with {@code [DONE]}. */
        STREAM,
        /** 429 with {@code Retry-After: 1}. */
        RATE_LIMITED,
        /** 401, as OpenAI answers a revoked key. */
        UNAUTHORIZED,
        SERVER_ERROR,
        BAD_GATEWAY,
        UNAVAILABLE,
        /** 400 with OpenAI's error body. */
        BAD_REQUEST,
        /** 413 with OpenAI's error body. */
        TOO_LARGE,
        /** Reads the request, then resets the connection. */
        RESET,
        /** Reads the request and never answers (until Rotor hangs up). */
        SILENT,
        /** Streams two chunks, then goes silent with the connection open (until Rotor hangs up). */
        SILENT_MID_STREAM,
        /** Streams two chunks, then closes the connection without ending the chunked body. */
        CUT_STREAM
    }

    static final String FIRST_CHUNK = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
            + "\"delta\":{\"content\":\"Hel\"}}]}\n\n";
    static final String SECOND_CHUNK = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
            + "\"delta\":{\"content\":\"lo\"}}]}\n\n";

    private final ServerSocket listener;
    private final Thread acceptor;
    private final Map<String, Fault> faults = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> received = new ConcurrentHashMap<>();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    /** Nanosecond times at which Rotor closed a connection this fake was holding open. */
    private final LinkedBlockingQueue<Long> hangUps = new LinkedBlockingQueue<>();
    private final AtomicInteger held = new AtomicInteger();

    FaultyOpenAi() throws IOException {
        listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = Thread.ofPlatform().daemon().name("faulty-openai").start(this::accept);
    }

    /** The base URL as an OpenAI SDK takes it, including {@code /v1}. */
    String baseUrl() {
        return "http://127.0.0.1:" + listener.getLocalPort() + "/v1";
    }

    FaultyOpenAi fault(String key, Fault fault) {
        faults.put(key, fault);
        return this;
    }

    int received(String key) {
        return received.getOrDefault(key, new AtomicInteger()).get();
    }

    /** Connections this fake holds open right now. */
    int openConnections() {
        return open.size();
    }

    /** Connections held silent (SILENT, SILENT_MID_STREAM) that Rotor has not closed yet. */
    int held() {
        return held.get();
    }

    /** Waits for Rotor to close a held connection; returns when it did (System.nanoTime), or -1. */
    long awaitHangUp(long timeoutMs) throws InterruptedException {
        Long at = hangUps.poll(timeoutMs, TimeUnit.MILLISECONDS);
        return at == null ? -1 : at;
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket socket = listener.accept();
                open.add(socket);
                Thread.ofVirtual().start(() -> serve(socket));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            String head = readHead(in);
            if (head == null) {
                return;
            }
            int length = contentLength(head);
            byte[] body = in.readNBytes(length);
            String key = bearer(head);
            received.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            Fault fault = faults.getOrDefault(key, Fault.UNAUTHORIZED);
            boolean stream = new String(body, StandardCharsets.UTF_8).replace(" ", "").contains("\"stream\":true");
            if (fault == Fault.OK && stream) {
                fault = Fault.STREAM;
            }
            answer(socket, fault);
        } catch (IOException e) {
            // Rotor went away: nothing to answer
        } finally {
            open.remove(socket);
        }
    }

    private void answer(Socket socket, Fault fault) throws IOException {
        OutputStream out = socket.getOutputStream();
        switch (fault) {
            case OK -> json(out, 200, "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":0,"
                    + "\"model\":\"fake-model\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                    + "\"content\":\"hello\"},\"finish_reason\":\"stop\"}]}", "");
            case STREAM -> {
                streamHead(out);
                chunk(out, FIRST_CHUNK);
                chunk(out, SECOND_CHUNK);
                chunk(out, "data: [DONE]\n\n");
                out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
            case RATE_LIMITED -> json(out, 429, error("Rate limit reached for requests", "requests",
                    "rate_limit_exceeded"), "Retry-After: 1\r\n");
            case UNAUTHORIZED -> json(out, 401, error("Incorrect API key provided. You can find your API key at"
                    + " https://platform.openai.com/account/api-keys.", "invalid_request_error", "invalid_api_key"), "");
            case SERVER_ERROR -> json(out, 500, error("The server had an error", "server_error", null), "");
            case BAD_GATEWAY -> json(out, 502, error("Bad gateway", "server_error", null), "");
            case UNAVAILABLE -> json(out, 503, error("The engine is currently overloaded", "server_error", null), "");
            case BAD_REQUEST -> json(out, 400, error("Invalid value for 'temperature': must be at most 2.",
                    "invalid_request_error", "invalid_value"), "");
            case TOO_LARGE -> json(out, 413, error("Request too large for fake-model.", "invalid_request_error",
                    "request_too_large"), "");
            case RESET -> {
                socket.setSoLinger(true, 0);
                socket.close();
            }
            case SILENT -> holdUntilHangUp(socket);
            case SILENT_MID_STREAM -> {
                streamHead(out);
                chunk(out, FIRST_CHUNK);
                chunk(out, SECOND_CHUNK);
                holdUntilHangUp(socket);
            }
            case CUT_STREAM -> {
                streamHead(out);
                chunk(out, FIRST_CHUNK);
                chunk(out, SECOND_CHUNK);
                socket.close();
            }
            default -> throw new IllegalStateException(fault.name());
        }
    }

    /** Blocks until the other side closes the connection, and notes when. */
    private void holdUntilHangUp(Socket socket) {
        held.incrementAndGet();
        try {
            while (socket.getInputStream().read() >= 0) {
                // Rotor sends nothing more on this connection; wait for its end
            }
        } catch (SocketException reset) {
            // a reset is a hang-up too
        } catch (IOException e) {
            // the same
        } finally {
            held.decrementAndGet();
            hangUps.add(System.nanoTime());
        }
    }

    private static String error(String message, String type, String code) {
        return "{\"error\":{\"message\":\"" + message + "\",\"type\":\"" + type + "\",\"param\":null,\"code\":"
                + (code == null ? "null" : "\"" + code + "\"") + "}}";
    }

    private static void json(OutputStream out, int status, String json, String extraHeaders) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        out.write(("HTTP/1.1 " + status + " X\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                + "\r\nConnection: close\r\n" + extraHeaders + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
    }

    private static void streamHead(OutputStream out) throws IOException {
        out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n"
                + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private static void chunk(OutputStream out, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        out.write((Integer.toHexString(bytes.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            matched = b == (matched % 2 == 0 ? '\r' : '\n') ? matched + 1 : b == '\r' ? 1 : 0;
            if (matched == 4) {
                return head.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    private static int contentLength(String head) {
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                return Integer.parseInt(line.substring(15).strip());
            }
        }
        return 0;
    }

    private static String bearer(String head) {
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("authorization: bearer ")) {
                return line.substring("authorization: bearer ".length()).strip();
            }
        }
        return "";
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket socket : open) {
            socket.close();
        }
        try {
            acceptor.join(1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
