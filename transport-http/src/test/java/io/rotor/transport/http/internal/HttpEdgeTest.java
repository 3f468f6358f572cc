package io.rotor.transport.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rotor.api.ClientResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Request smuggling and oversized-header probes over a raw socket: what the JDK server in front of
 * the gateway actually does, so the README can state it.
 */
@Timeout(60)
class HttpEdgeTest {

    private final RecordingGateway gateway = new RecordingGateway();
    private JdkHttpServer server;

    @BeforeEach
    void start() {
        gateway.answer(request -> new ClientResponse(200, Map.of("Content-Type", "application/json"),
                new ByteArrayInputStream("{}".getBytes(StandardCharsets.UTF_8)), false, () -> { }));
        server = new JdkHttpServer(gateway, null, () -> "", JdkHttpServerTest.config("127.0.0.1", 0, 1024), null);
    }

    @AfterEach
    void stop() {
        server.stop();
    }

    private boolean closedAfterResponse;

    /** The status of the first response, or -1 if the server closed the connection without one. */
    private int probe(String request) throws IOException {
        try (Socket socket = RawHttp.connect(server.address())) {
            try {
                RawHttp.write(socket, request);
                int status = RawHttp.readResponse(socket).status();
                closedAfterResponse = socket.getInputStream().read() < 0;
                return status;
            } catch (SocketException | RuntimeException e) {
                closedAfterResponse = true;
                return -1;
            }
        }
    }

    @Test
    void contentLengthWithTransferEncodingIsRefused() throws IOException {
        int status = probe("POST /v1/embeddings HTTP/1.1\r\nHost: rotor\r\nContent-Length: 5\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
        assertEquals(400, status);
        assertTrue(closedAfterResponse, "the connection is closed, so no smuggled request follows");
        assertEquals(0, gateway.requests().size());
    }

    @Test
    void twoContentLengthsAreRefused() throws IOException {
        int status = probe("POST /v1/embeddings HTTP/1.1\r\nHost: rotor\r\nContent-Length: 2\r\n"
                + "Content-Length: 7\r\n\r\n{}");
        assertEquals(400, status);
        assertTrue(closedAfterResponse, "the connection is closed, so no smuggled request follows");
        assertEquals(0, gateway.requests().size());
    }

    /** Headers over the server's limit get 431 and never reach the gateway. */
    @Test
    void oversizedHeadersGet431WithoutReachingTheGateway() throws IOException {
        int status = probe("POST /v1/embeddings HTTP/1.1\r\nHost: rotor\r\nContent-Length: 2\r\nX-Big: "
                + "a".repeat(600_000) + "\r\n\r\n{}");
        assertEquals(431, status);
        assertEquals(0, gateway.requests().size());
        assertEquals(200, probe("POST /v1/embeddings HTTP/1.1\r\nHost: rotor\r\nContent-Length: 2\r\n"
                + "Connection: close\r\nX-Big: " + "a".repeat(30_000) + "\r\n\r\n{}"), "a 30 kB header is fine");
    }

    /**
     * A body refused with 413 while the client is still sending it: the server reads and drops the rest
     * before closing, because closing with unread bytes would reset the connection and could destroy the
     * 413 before the client reads it.
     */
    @Test
    void refusalOfALargeBodyReachesAClientStillSendingIt() throws Exception {
        int bodyBytes = 8 * 1024 * 1024;
        try (Socket socket = RawHttp.connect(server.address())) {
            RawHttp.write(socket, "POST /v1/embeddings HTTP/1.1\r\nHost: rotor\r\nContent-Length: " + bodyBytes
                    + "\r\n\r\n");
            Thread sender = Thread.ofVirtual().start(() -> {
                byte[] chunk = new byte[64 * 1024];
                try {
                    for (int sent = 0; sent < bodyBytes; sent += chunk.length) {
                        socket.getOutputStream().write(chunk);
                    }
                } catch (IOException e) {
                    // the server may stop reading once it has closed; what matters is the response
                }
            });
            sender.join(10_000); // the response waits unread, as it does for a client busy sending
            assertEquals(413, RawHttp.readResponse(socket).status());
        }
        assertEquals(0, gateway.requests().size());
    }
}
