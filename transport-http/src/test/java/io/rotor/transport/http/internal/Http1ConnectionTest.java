package io.rotor.transport.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class Http1ConnectionTest {

    @Test
    void aHeadersValueLosesTheWhiteSpaceAroundItAndKeepsTheRest() throws Exception {
        Http1Connection.Head head = Http1Connection.parse("POST /v1/chat/completions?x=1 HTTP/1.1\r\n"
                + "Host: a\r\nAuthorization: \t Bearer  k 1\t \r\nX-Empty:\r\nX-Spaces:   \r\n"
                + "x-twice: one\r\nX-Twice:two\r\nX-Odd: \u001fa b\u000b\r\nContent-Length: 12");

        assertEquals("POST", head.method());
        assertEquals("/v1/chat/completions", head.uri().getPath());
        assertEquals("Bearer  k 1", head.headers().getFirst("Authorization"));
        assertEquals("", head.headers().getFirst("X-Empty"));
        assertEquals("", head.headers().getFirst("X-Spaces"));
        assertEquals(List.of("one", "two"), head.headers().get("X-Twice"));
        // What String.strip() takes away at the edges, other white space included.
        assertEquals("a b", head.headers().getFirst("X-Odd"));
        assertEquals(12, head.contentLength());
        assertTrue(head.keepAlive());
    }

    @Test
    void aMalformedHeaderLineIsRefused() {
        for (String line : List.of(": no name", "No-Colon", "Space Before: colon", "Name : value", " Folded: x",
                "Bad\u0001Name: x", "Control: a\u0000b", "Delete: a\u007fb")) {
            Http1Connection.BadRequest refused = assertThrows(Http1Connection.BadRequest.class,
                    () -> Http1Connection.parse("GET / HTTP/1.1\r\nHost: a\r\n" + line + "\r\nAccept: */*"), line);
            assertEquals(400, refused.status, line);
        }
    }

    /**
     * A hang-up watch that has already read the next request when the serving thread comes back: the
     * serving thread takes that read over before it looks at the buffer, and the request after it is
     * read whole. (The first request is one byte longer than the second, so a buffer read without
     * taking the watch's result over would find a stale line end and lose the third request's first
     * byte.)
     */
    @Test
    void theNextRequestsAreReadWholeAfterAHangUpWatchReadTheFirstOfThem() throws Exception {
        try (Pair pair = new Pair()) {
            Socket client = pair.client;
            Http1Connection connection = pair.connection;
            OutputStream toServer = client.getOutputStream();
            toServer.write(ascii("GET /aa HTTP/1.1\r\nHost: x\r\n\r\n"));
            assertEquals("/aa", connection.readHead().uri().getPath());

            boolean[] hungUp = new boolean[1];
            connection.watchForHangUpFrom(System.nanoTime(), () -> hungUp[0] = true);
            connection.startWatchIfDue(System.nanoTime());
            toServer.write(ascii("GET /b HTTP/1.1\r\nHost: x\r\n\r\n"));
            Thread.sleep(200); // the watch reads it meanwhile

            Http1Connection.Head second = connection.readHead();
            assertEquals("GET", second.method());
            assertEquals("/b", second.uri().getPath());
            toServer.write(ascii("GET /c HTTP/1.1\r\nHost: x\r\n\r\n"));
            Http1Connection.Head third = connection.readHead();
            assertEquals("GET", third.method());
            assertEquals("/c", third.uri().getPath());
            assertEquals(false, hungUp[0]);

            client.shutdownOutput();
            assertNull(connection.readHead(), "the client closed between requests");
        }
    }

    @Test
    void aWatchThatSawTheClientLeaveEndsTheConnectionAtTheNextRead() throws Exception {
        try (Pair pair = new Pair()) {
            Socket client = pair.client;
            Http1Connection connection = pair.connection;
            client.getOutputStream().write(ascii("GET /a HTTP/1.1\r\nHost: x\r\n\r\n"));
            connection.readHead();
            CountDownLatch hungUp = new CountDownLatch(1);
            connection.watchForHangUpFrom(System.nanoTime(), hungUp::countDown);
            connection.startWatchIfDue(System.nanoTime());
            client.close();

            assertEquals(true, hungUp.await(10, TimeUnit.SECONDS));
            assertNull(connection.readHead());
        }
    }

    /** A client socket and the server's connection for it, over loopback. */
    private static final class Pair implements AutoCloseable {
        final ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        final Socket client = new Socket(listener.getInetAddress(), listener.getLocalPort());
        final Socket served = listener.accept();
        final Http1Connection connection = new Http1Connection(served);

        Pair() throws IOException {
        }

        @Override
        public void close() throws IOException {
            served.close();
            client.close();
            listener.close();
        }
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
