package io.rotor.transport.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ChannelSocketFactoryTest {

    /** Spinning, as by default, so that these tests go through {@link SpinningSocket} as well. */
    private final ChannelSocketFactory factory = new ChannelSocketFactory(TimeUnit.MILLISECONDS.toNanos(1), () -> true);

    /**
     * What OkHttp does with the factory: an unconnected socket, a timed connect, then blocking reads and
     * writes. (That the socket's descriptor is back in blocking mode is not visible from Java; it was
     * checked in {@code /proc/PID/fdinfo} and with {@code perf trace}, see benchmark/PERFORMANCE.md.)
     */
    @Test
    void aSocketConnectedWithATimeoutCarriesBytesBothWays() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                Socket socket = factory.createSocket()) {
            socket.connect(server.getLocalSocketAddress(), 5_000);
            try (Socket accepted = server.accept()) {
                accepted.getOutputStream().write(42);
                assertEquals(42, socket.getInputStream().read());
                socket.getOutputStream().write(7);
                assertEquals(7, accepted.getInputStream().read());
            }
            assertNotNull(socket.getChannel(), "a channel's socket");
        }
    }

    /**
     * Real upstreams speak TLS, which OkHttp layers over the factory's socket: the handshake and every
     * answer then go through the spinning reads.
     */
    @Test
    void okHttpCallsOverTlsGoThroughTheSpinningSocket() throws Exception {
        HeldCertificate certificate = new HeldCertificate.Builder().addSubjectAlternativeName("localhost").build();
        HandshakeCertificates serverCertificates = new HandshakeCertificates.Builder()
                .heldCertificate(certificate).build();
        HandshakeCertificates clientCertificates = new HandshakeCertificates.Builder()
                .addTrustedCertificate(certificate.certificate()).build();
        AtomicInteger spinChecks = new AtomicInteger();
        OkHttpClient client = new OkHttpClient.Builder()
                .socketFactory(new ChannelSocketFactory(TimeUnit.MILLISECONDS.toNanos(1), () -> {
                    spinChecks.incrementAndGet();
                    return true;
                }))
                .sslSocketFactory(clientCertificates.sslSocketFactory(), clientCertificates.trustManager())
                .build();
        try (MockWebServer upstream = new MockWebServer()) {
            upstream.useHttps(serverCertificates.sslSocketFactory());
            upstream.enqueue(new MockResponse.Builder().body("first").build());
            upstream.enqueue(new MockResponse.Builder().body("second").build());
            upstream.start(InetAddress.getByName("localhost"), 0);

            for (String expected : new String[] {"first", "second"}) {
                try (Response response = client.newCall(new Request.Builder().url(upstream.url("/v1/models")).build())
                        .execute()) {
                    assertEquals(expected, response.body().string());
                }
            }

            assertEquals(1, client.connectionPool().connectionCount(), "the second call reused the TLS connection");
            // The handshake's answers and each response's head were awaited through the spin.
            assertTrue(spinChecks.get() >= 3, "spin checks: " + spinChecks.get());
        } finally {
            client.connectionPool().evictAll();
        }
    }

    @Test
    void withoutASpinTheSocketIsTheChannelsOwn() throws Exception {
        try (Socket socket = new ChannelSocketFactory(0, () -> true).createSocket()) {
            assertFalse(socket instanceof SpinningSocket);
            assertNotNull(socket.getChannel());
        }
    }

    @Test
    void theConnectingFactoryMethodsConnect() throws Exception {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try (ServerSocket server = new ServerSocket(0, 4, loopback);
                Socket byName = factory.createSocket(loopback.getHostAddress(), server.getLocalPort());
                Socket byAddress = factory.createSocket(loopback, server.getLocalPort());
                Socket fromLocal = factory.createSocket(loopback, server.getLocalPort(), loopback, 0)) {
            for (Socket socket : new Socket[] {byName, byAddress, fromLocal}) {
                assertTrue(socket.isConnected());
                assertEquals(new InetSocketAddress(loopback, server.getLocalPort()), socket.getRemoteSocketAddress());
            }
        }
    }

    @Test
    void aRefusedConnectionFailsAsAPlainSocketWould() throws IOException {
        int closedPort;
        try (ServerSocket gone = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = gone.getLocalPort();
        }

        assertThrows(ConnectException.class, () -> factory.createSocket(InetAddress.getLoopbackAddress(), closedPort));
    }
}
