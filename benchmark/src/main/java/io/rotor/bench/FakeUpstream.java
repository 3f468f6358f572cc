package io.rotor.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A fake OpenAI-compatible upstream that answers as fast as a socket allows, so that it is never
 * what limits a measurement: HTTP/1.1 keep-alive, one virtual thread per connection, canned
 * responses written in one call.
 *
 * <p>The request's {@code model} picks the answer: {@code sse-N-G} streams N server-sent events G
 * milliseconds apart (the first at once), anything else gets one chat completion. {@code GET
 * /v1/models} lists a model. Run {@link #main} for a process of its own: it prints
 * {@code fake-upstream listening on PORT} and serves until killed or until its standard input closes.
 */
public final class FakeUpstream implements AutoCloseable {

    static final String SSE_PREFIX = "sse-";

    private static final byte[] COMPLETION = body("{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion\","
            + "\"created\":1700000000,\"model\":\"bench\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
            + "\"content\":\"Hello! How can I help you today?\"},\"finish_reason\":\"stop\"}],"
            + "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":9,\"total_tokens\":18}}");
    private static final byte[] COMPLETION_RESPONSE = concat(ascii("HTTP/1.1 200 OK\r\n"
            + "Content-Type: application/json\r\nContent-Length: " + COMPLETION.length + "\r\n\r\n"), COMPLETION);
    private static final byte[] MODELS = body("{\"object\":\"list\",\"data\":[{\"id\":\"bench\",\"object\":\"model\","
            + "\"created\":0,\"owned_by\":\"bench\"}]}");
    private static final byte[] MODELS_RESPONSE = concat(ascii("HTTP/1.1 200 OK\r\n"
            + "Content-Type: application/json\r\nContent-Length: " + MODELS.length + "\r\n\r\n"), MODELS);
    private static final byte[] NOT_FOUND = ascii("HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
            + "Content-Length: 2\r\n\r\n{}");
    private static final byte[] STREAM_HEAD = ascii("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            + "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n");
    private static final byte[] EVENT = chunk(body("data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\","
            + "\"created\":1700000000,\"model\":\"bench\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"token\"},"
            + "\"finish_reason\":null}]}\n\n"));
    private static final byte[] DONE = concat(chunk(body("data: [DONE]\n\n")), ascii("0\r\n\r\n"));

    private final ServerSocket server;
    private final ExecutorService connections = Executors.newVirtualThreadPerTaskExecutor();
    private final Thread acceptor;

    public FakeUpstream(int port) throws IOException {
        server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 4096);
        acceptor = Thread.ofPlatform().name("fake-upstream-acceptor").daemon().start(this::accept);
    }

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        FakeUpstream fake = new FakeUpstream(port);
        PrintStream out = System.out;
        out.println("fake-upstream listening on " + fake.port());
        out.flush();
        Processes.awaitEndOfInput();
        fake.close();
        System.exit(0);
    }

    public int port() {
        return server.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        server.close();
        connections.shutdownNow();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                connections.execute(() -> serve(socket));
            } catch (IOException e) {
                if (server.isClosed()) {
                    return;
                }
            }
        }
    }

    private static void serve(Socket socket) {
        try (socket) {
            socket.setTcpNoDelay(true);
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            RequestReader reader = new RequestReader(in);
            while (reader.next()) {
                respond(reader, out);
            }
        } catch (IOException | InterruptedException e) {
            // the client went away, or we are shutting down
        }
    }

    private static void respond(RequestReader request, OutputStream out) throws IOException, InterruptedException {
        if (request.isGet("/v1/models")) {
            out.write(MODELS_RESPONSE);
            return;
        }
        if (!request.isPost("/v1/chat/completions") && !request.isPost("/v1/completions")) {
            out.write(NOT_FOUND);
            return;
        }
        String model = request.model();
        if (model == null || !model.startsWith(SSE_PREFIX)) {
            out.write(COMPLETION_RESPONSE);
            return;
        }
        int[] shape = streamShape(model);
        int events = shape[0];
        long gapMillis = shape[1];
        out.write(concat(STREAM_HEAD, EVENT));
        out.flush();
        for (int i = 1; i < events; i++) {
            if (gapMillis > 0) {
                Thread.sleep(gapMillis);
            }
            out.write(EVENT);
            out.flush();
        }
        out.write(DONE);
        out.flush();
    }

    /** {@code sse-N-G}: N events, G ms apart. */
    static int[] streamShape(String model) {
        String[] parts = model.substring(SSE_PREFIX.length()).split("-");
        return new int[] {Math.max(1, Integer.parseInt(parts[0])), parts.length > 1 ? Integer.parseInt(parts[1]) : 0};
    }

    /** The model of an {@code sse-N-G} stream. */
    static String streamModel(int events, int gapMillis) {
        return SSE_PREFIX + events + "-" + gapMillis;
    }

    /** Reads HTTP/1.1 requests with a Content-Length body from one connection, reusing one buffer. */
    private static final class RequestReader {

        private final InputStream in;
        private byte[] buffer = new byte[16 * 1024];
        private int start;
        private int end;
        private int headerEnd;
        private int bodyStart;
        private int bodyEnd;

        RequestReader(InputStream in) {
            this.in = in;
        }

        /** Reads the next request; false when the connection ended. */
        boolean next() throws IOException {
            start = bodyEnd;
            if (start == end) {
                start = 0;
                end = 0;
            }
            int found;
            while ((found = Bytes.indexOf(buffer, start, end, Bytes.CRLFCRLF)) < 0) {
                if (!fill()) {
                    return false;
                }
            }
            headerEnd = found;
            bodyStart = found + 4;
            long length = Bytes.headerValueLong(buffer, start, headerEnd, "content-length", 0);
            bodyEnd = bodyStart + (int) length;
            while (end < bodyEnd) {
                if (!fill()) {
                    return false;
                }
            }
            return true;
        }

        boolean isGet(String path) {
            return startsWith("GET " + path + " ");
        }

        boolean isPost(String path) {
            return startsWith("POST " + path + " ");
        }

        /** The value of the body's top-level "model" string, found by a plain search: our own bodies only. */
        String model() {
            int at = Bytes.indexOf(buffer, bodyStart, bodyEnd, Bytes.MODEL_FIELD);
            if (at < 0) {
                return null;
            }
            int quote = -1;
            for (int i = at + Bytes.MODEL_FIELD.length; i < bodyEnd; i++) {
                if (buffer[i] == '"') {
                    quote = i;
                    break;
                }
            }
            if (quote < 0) {
                return null;
            }
            for (int i = quote + 1; i < bodyEnd; i++) {
                if (buffer[i] == '"') {
                    return new String(buffer, quote + 1, i - quote - 1, StandardCharsets.US_ASCII);
                }
            }
            return null;
        }

        private boolean startsWith(String prefix) {
            if (headerEnd - start < prefix.length()) {
                return false;
            }
            for (int i = 0; i < prefix.length(); i++) {
                if (buffer[start + i] != prefix.charAt(i)) {
                    return false;
                }
            }
            return true;
        }

        private boolean fill() throws IOException {
            if (end == buffer.length) {
                if (start > 0) {
                    System.arraycopy(buffer, start, buffer, 0, end - start);
                    end -= start;
                    bodyEnd -= start;
                    bodyStart -= start;
                    headerEnd -= start;
                    start = 0;
                } else {
                    buffer = java.util.Arrays.copyOf(buffer, buffer.length * 2);
                }
            }
            int n = in.read(buffer, end, buffer.length - end);
            if (n < 0) {
                return false;
            }
            end += n;
            return true;
        }
    }

    private static byte[] body(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] chunk(byte[] data) {
        return concat(ascii(Integer.toHexString(data.length) + "\r\n"), data, ascii("\r\n"));
    }

    static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        byte[] all = new byte[length];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }
}
