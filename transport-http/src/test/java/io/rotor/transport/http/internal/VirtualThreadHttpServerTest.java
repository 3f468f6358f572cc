package io.rotor.transport.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** HTTP/1.1 framing, keep-alive and the refusals that keep request smuggling out, on raw sockets. */
@Timeout(30)
class VirtualThreadHttpServerTest {

    private final List<String> bodies = new CopyOnWriteArrayList<>();
    private VirtualThreadHttpServer server;

    @BeforeEach
    void start() throws IOException {
        start(PLATFORM_CONNECTIONS);
    }

    /** Few platform threads, so the tests' connections are served on both kinds of thread. */
    private static final int PLATFORM_CONNECTIONS = 2;

    private void start(int platformConnections) throws IOException {
        server = new VirtualThreadHttpServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50,
                Duration.ofMillis(1_500), platformConnections);
        server.createContext("/", this::echo);
        server.createContext("/thread", exchange -> {
            byte[] kind = (Thread.currentThread().isVirtual() ? "virtual" : "platform").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, kind.length);
            exchange.getResponseBody().write(kind);
            exchange.close();
        });
        server.createContext("/big-head", exchange -> {
            // A head longer than the connection's output buffer, and a value beyond ASCII (within ISO-8859-1,
            // as the JDK's Headers allows no more).
            exchange.getResponseHeaders().add("X-Long", "v".repeat(6_000));
            exchange.getResponseHeaders().add("X-Wide", "caf\u00e9");
            exchange.sendResponseHeaders(200, 2);
            exchange.getResponseBody().write("ok".getBytes(StandardCharsets.UTF_8));
            exchange.close();
        });
        server.createContext("/null-header", exchange -> {
            // The JDK's Headers checks what goes in through its methods, not edits to a value list.
            exchange.getResponseHeaders().add("X-Null", "v".repeat(exchange.getRequestURI().getQuery().length()));
            exchange.getResponseHeaders().get("X-Null").add(null);
            exchange.sendResponseHeaders(200, 2);
            exchange.getResponseBody().write("ok".getBytes(StandardCharsets.UTF_8));
        });
        server.createContext("/stream", this::stream);
        server.createContext("/silent", exchange -> exchange.getRequestBody().readAllBytes());
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(Duration.ofMillis(100));
    }

    /** Answers with the request's method, path and body, after reading the whole body. */
    private void echo(HttpExchange exchange) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        bodies.add(body);
        byte[] answer = (exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath() + " " + body)
                .getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, answer.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(answer);
        }
    }

    /** Answers with two chunks of unknown total length. */
    private void stream(HttpExchange exchange) throws IOException {
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        out.write("first,".getBytes(StandardCharsets.UTF_8));
        out.flush();
        out.write("second".getBytes(StandardCharsets.UTF_8));
        out.close();
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket(server.address().getAddress(), server.address().getPort());
        socket.setSoTimeout(5_000);
        return socket;
    }

    private static void send(Socket socket, String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
    }

    /** Everything the server sends until it closes the connection. */
    private static String readToEnd(Socket socket) throws IOException {
        return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }

    @Test
    void servesSeveralRequestsOnOneConnectionIncludingPipelinedOnes() throws Exception {
        try (Socket socket = connect()) {
            send(socket, "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\none"
                    + "POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n"
                    + "GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            String responses = readToEnd(socket);
            assertTrue(responses.contains("Content-Length: 11\r\n"), responses);
            assertTrue(responses.contains("\r\n\r\nPOST /a one"), responses);
            assertTrue(responses.contains("POST /b two"), responses);
            assertTrue(responses.endsWith("GET /c "), responses);
            assertTrue(responses.contains("Connection: close"), responses);
        }
    }

    @Test
    void sendsABodyOfUnknownLengthInChunksAsItIsFlushed() throws Exception {
        try (Socket socket = connect()) {
            send(socket, "GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            String response = readToEnd(socket);
            assertTrue(response.contains("Transfer-Encoding: chunked"), response);
            assertTrue(response.endsWith("6\r\nfirst,\r\n6\r\nsecond\r\n0\r\n\r\n"), response);
        }
    }

    @Test
    void aResponseHeadLongerThanTheOutputBufferArrivesWholeBeforeItsBody() throws Exception {
        try (Socket socket = connect()) {
            send(socket, "GET /big-head HTTP/1.1\r\nHost: x\r\n\r\nGET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            String responses = readToEnd(socket);
            assertTrue(responses.startsWith("HTTP/1.1 200 OK\r\n"), responses);
            assertTrue(responses.contains("\r\nX-long: " + "v".repeat(6_000) + "\r\n"), responses);
            assertTrue(responses.contains("\r\nX-wide: caf\u00e9\r\n"), responses);
            assertTrue(responses.contains("\r\nContent-Length: 2\r\n"), responses);
            assertTrue(responses.contains("\r\n\r\nokHTTP/1.1 200 OK\r\n"), responses);
            assertTrue(responses.endsWith("\r\n\r\nGET /a "), responses);
        }
    }

    @Test
    void aHeadWithANullValueIsNotStartedAndTheServerAnswers500() throws Exception {
        for (int valueLength : new int[] {5, 6_000}) {
            try (Socket socket = connect()) {
                // The long value would not fit the output buffer: nothing of it may go out either.
                send(socket, "GET /null-header?" + "q".repeat(valueLength) + " HTTP/1.1\r\nHost: x\r\n\r\n"
                        + "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
                String response = readToEnd(socket);
                assertTrue(response.startsWith("HTTP/1.1 500 "), response);
                assertFalse(response.contains("X-null"), response);
                assertTrue(response.contains("Connection: close"), response);
                assertFalse(response.contains("GET /a"), "the next request was not served: " + response);
            }
        }
    }

    @Test
    void refusesABodyWithBothContentLengthAndTransferEncoding() throws Exception {
        assertRefused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    }

    @Test
    void refusesTwoContentLengthsAndMalformedOnes() throws Exception {
        assertRefused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 30\r\n\r\nabc", 400);
        assertRefused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc", 400);
        assertRefused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc", 400);
    }

    @Test
    void refusesTransferCodingsOtherThanChunked() throws Exception {
        assertRefused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501);
    }

    @Test
    void refusesWhitespaceBeforeTheColonAndFoldedHeaders() throws Exception {
        assertRefused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length : 3\r\n\r\nabc", 400);
        assertRefused("GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded\r\n\r\n", 400);
    }

    @Test
    void refusesAHeadOverTheLimitWith431() throws Exception {
        assertRefused("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(Http1Connection.MAX_HEAD_BYTES) + "\r\n\r\n",
                431);
    }

    @Test
    void refusesOtherHttpVersionsAndHttp11WithoutHost() throws Exception {
        assertRefused("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505);
        assertRefused("GET / HTTP/1.1\r\n\r\n", 400);
        assertRefused("GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    }

    @Test
    void refusesAMalformedChunkAndClosesTheConnection() throws Exception {
        try (Socket socket = connect()) {
            send(socket, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n");
            String response = readToEnd(socket);
            assertTrue(response.startsWith("HTTP/1.1 400 Bad Request"), response);
            assertTrue(response.contains("Connection: close"), response);
        }
        assertTrue(bodies.isEmpty());
    }

    @Test
    void answersHttp10AndClosesTheConnection() throws Exception {
        try (Socket socket = connect()) {
            send(socket, "GET /old HTTP/1.0\r\n\r\n");
            String response = readToEnd(socket);
            assertTrue(response.startsWith("HTTP/1.1 200 OK\r\n"), response);
            assertTrue(response.endsWith("GET /old "), response);
        }
    }

    @Test
    void sendsContinueOnlyWhenTheHandlerReadsTheBody() throws Exception {
        try (Socket socket = connect()) {
            send(socket, "POST /a HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
            InputStream in = socket.getInputStream();
            String interim = new String(in.readNBytes("HTTP/1.1 100 Continue\r\n\r\n".length()),
                    StandardCharsets.ISO_8859_1);
            assertEquals("HTTP/1.1 100 Continue\r\n\r\n", interim);
            send(socket, "hello");
            assertTrue(readUntil(in, "POST /a hello").endsWith("POST /a hello"));
        }
    }

    @Test
    void skipsASmallUnreadBodyAndKeepsTheConnection() throws Exception {
        server.createContext("/ignore", exchange -> {
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        try (Socket socket = connect()) {
            send(socket, "POST /ignore HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nskip"
                    + "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nConnection: close\r\n\r\nkept");
            String responses = readToEnd(socket);
            assertTrue(responses.startsWith("HTTP/1.1 204 No Content\r\n"), responses);
            assertTrue(responses.endsWith("POST /a kept"), responses);
        }
    }

    @Test
    void closesAConnectionThatStaysIdle() throws Exception {
        try (Socket socket = connect()) {
            socket.setSoTimeout(10_000);
            send(socket, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
            readUntil(socket.getInputStream(), "GET /a ");
            long start = System.nanoTime();
            assertEquals(-1, socket.getInputStream().read(), "the server closed the idle connection");
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(8).toNanos());
        }
    }

    /** Slow loris: a head that keeps trickling in is cut off after the idle timeout, however steady the trickle. */
    @Test
    void closesAConnectionWhoseHeadTricklesInByteByByte() throws Exception {
        try (Socket socket = connect()) {
            byte[] head = "GET /a HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII);
            long start = System.nanoTime();
            boolean closed = false;
            try {
                for (int i = 0; i < 200 && !closed; i++) {
                    socket.getOutputStream().write(i < head.length ? head[i] : 'a');
                    socket.getOutputStream().flush();
                    Thread.sleep(100);
                    closed = peekClosed(socket);
                }
            } catch (java.io.IOException reset) {
                closed = true;
            }
            assertTrue(closed, "the server never closed a connection whose head trickled in for 20 s");
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(10).toNanos());
            assertEquals(List.of(), bodies, "nothing reached a handler");
        }
    }

    private static boolean peekClosed(Socket socket) throws java.io.IOException {
        socket.setSoTimeout(1);
        try {
            return socket.getInputStream().read() < 0;
        } catch (java.net.SocketTimeoutException stillOpen) {
            return false;
        } finally {
            socket.setSoTimeout(0);
        }
    }

    @Test
    void answersA500WhenAHandlerSendsNothing() throws Exception {
        try (Socket socket = connect()) {
            send(socket, "GET /silent HTTP/1.1\r\nHost: x\r\n\r\n");
            String response = readToEnd(socket);
            assertTrue(response.startsWith("HTTP/1.1 500 Internal Server Error\r\n"), response);
        }
    }

    @Test
    void theFirstConnectionsOpenAtATimeAreServedOnPlatformThreadsAndTheRestOnVirtualThreads() throws Exception {
        List<Socket> open = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < PLATFORM_CONNECTIONS + 2; i++) {
                open.add(connect());
            }
            List<String> kinds = new java.util.ArrayList<>();
            for (Socket socket : open) {
                kinds.add(threadKind(socket));
            }
            assertEquals(List.of("platform", "platform", "virtual", "virtual"), kinds);

            // A platform connection that ends gives its place to the next connection.
            open.get(0).close();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            String next;
            do {
                try (Socket another = connect()) {
                    next = threadKind(another);
                }
            } while (!next.equals("platform") && System.nanoTime() < deadline);
            assertEquals("platform", next);
        } finally {
            for (Socket socket : open) {
                socket.close();
            }
        }
    }

    /** Asks on a kept-alive connection which kind of thread serves it. */
    private static String threadKind(Socket socket) throws IOException {
        send(socket, "GET /thread HTTP/1.1\r\nHost: x\r\n\r\n");
        String response = readUntil(socket.getInputStream(), "\r\n\r\n");
        assertTrue(response.startsWith("HTTP/1.1 200"), response);
        byte[] body = socket.getInputStream().readNBytes(response.contains("Content-Length: 7") ? 7 : 8);
        return new String(body, StandardCharsets.UTF_8);
    }

    /**
     * A handler that relays a silent upstream (a real socket that never sends) is stopped when its client
     * hangs up: the upstream sees its connection end within a second, and the handler's thread ends. A
     * plain socket read ends at an interrupt only on a virtual thread, so this server has no platform
     * threads (Rotor's upstream client cancels the call of an interrupted platform thread itself).
     */
    @Test
    void aClientHangingUpMidStreamStopsAHandlerWaitingOnASilentUpstream() throws Exception {
        server.stop(Duration.ZERO);
        start(0);
        try (ServerSocket silentUpstream = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CountDownLatch handlerEnded = new CountDownLatch(1);
            AtomicReference<Throwable> handlerSaw = new AtomicReference<>();
            server.createContext("/relay", exchange -> {
                try (Socket upstream = new Socket(silentUpstream.getInetAddress(), silentUpstream.getLocalPort())) {
                    exchange.getRequestBody().readAllBytes();
                    exchange.sendResponseHeaders(200, 0);
                    exchange.getResponseBody().write("data: first\n\n".getBytes(StandardCharsets.UTF_8));
                    exchange.getResponseBody().flush();
                    upstream.getInputStream().read(); // blocks: the upstream never answers
                } catch (IOException | RuntimeException e) {
                    handlerSaw.set(e);
                } finally {
                    handlerEnded.countDown();
                }
            });
            Socket client = connect();
            send(client, "POST /relay HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
            silentUpstream.setSoTimeout(10_000);
            try (Socket upstreamSide = silentUpstream.accept()) {
                readUntil(client.getInputStream(), "data: first\n\n");
                upstreamSide.setSoTimeout(10_000);
                long hangUp = System.nanoTime();
                client.close();
                assertEquals(-1, upstreamSide.getInputStream().read(), "the upstream connection ended");
                long tookMs = (System.nanoTime() - hangUp) / 1_000_000;
                assertTrue(tookMs < 1_000, "the upstream connection ended " + tookMs + " ms after the hang-up");
                assertTrue(handlerEnded.await(5, TimeUnit.SECONDS), "the handler's thread ended");
                assertTrue(handlerSaw.get() instanceof IOException, String.valueOf(handlerSaw.get()));
            }
        }
    }

    /**
     * Streams that end within {@link Http1Exchange#HANG_UP_WATCH_DELAY_NANOS} start no hang-up watch:
     * no thread is started on the way to their first bytes, and no read is left waiting for the next
     * request. (The hang-up test above shows that a longer one does.)
     */
    @Test
    void aStreamThatEndsBeforeItsHangUpWatchIsDueStartsNone() throws Exception {
        // Each lasts half the delay: longer than the sweeper's look interval, so a watch due at once is seen.
        long lasts = TimeUnit.NANOSECONDS.toMillis(Http1Exchange.HANG_UP_WATCH_DELAY_NANOS) / 2;
        assertTrue(lasts > 1.2 * VirtualThreadHttpServer.WATCH_LOOK_MILLIS);
        server.createContext("/slow-stream", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write("first,".getBytes(StandardCharsets.UTF_8));
                out.flush();
                Thread.sleep(lasts);
                out.write("second".getBytes(StandardCharsets.UTF_8));
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
        });
        long before = Http1Connection.WATCHES_STARTED.get();
        try (Socket socket = connect()) {
            for (int i = 0; i < 3; i++) {
                send(socket, "GET /slow-stream HTTP/1.1\r\nHost: x\r\n\r\n");
                readUntil(socket.getInputStream(), "second\r\n0\r\n\r\n");
            }
            // Long enough for the sweeper to have started any watch it would.
            Thread.sleep(TimeUnit.NANOSECONDS.toMillis(Http1Exchange.HANG_UP_WATCH_DELAY_NANOS)
                    + 3 * VirtualThreadHttpServer.WATCH_LOOK_MILLIS);
            assertEquals("GET /after ", echoed(socket), "the connection still serves");
        }
        assertEquals(before, Http1Connection.WATCHES_STARTED.get());
    }

    private static String echoed(Socket socket) throws IOException {
        send(socket, "GET /after HTTP/1.1\r\nHost: x\r\n\r\n");
        String head = readUntil(socket.getInputStream(), "\r\n\r\n");
        int at = head.indexOf("Content-Length: ") + "Content-Length: ".length();
        int length = Integer.parseInt(head.substring(at, head.indexOf("\r\n", at)));
        return new String(socket.getInputStream().readNBytes(length), StandardCharsets.UTF_8);
    }

    @Test
    void aStreamedResponseLeavesTheConnectionForTheNextRequestsIncludingPipelinedOnes() throws Exception {
        try (Socket socket = connect()) {
            send(socket, "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
            readUntil(socket.getInputStream(), "second\r\n0\r\n\r\n");
            // The server reads ahead on the connection while it streams; what it read is the next request.
            send(socket, "GET /stream HTTP/1.1\r\nHost: x\r\n\r\nPOST /a HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Length: 4\r\nConnection: close\r\n\r\nnext");
            String responses = readToEnd(socket);
            assertTrue(responses.contains("6\r\nsecond\r\n0\r\n\r\n"), responses);
            assertTrue(responses.endsWith("POST /a next"), responses);
        }
    }

    private void assertRefused(String request, int status) throws Exception {
        try (Socket socket = connect()) {
            send(socket, request);
            String response = readToEnd(socket);
            assertTrue(response.startsWith("HTTP/1.1 " + status + " "), response);
            assertTrue(response.contains("Connection: close"), response);
            assertTrue(response.contains("\"error\":{"), response);
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server neither answered nor closed the connection", e);
        }
        assertFalse(bodies.contains("0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"));
        assertTrue(bodies.isEmpty(), "no handler saw a refused request: " + bodies);
    }

    private static String readUntil(InputStream in, String marker) throws IOException {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            seen.write(b);
            if (seen.toString(StandardCharsets.ISO_8859_1).endsWith(marker)) {
                return seen.toString(StandardCharsets.ISO_8859_1);
            }
        }
        throw new IOException("connection ended before " + marker);
    }
}
