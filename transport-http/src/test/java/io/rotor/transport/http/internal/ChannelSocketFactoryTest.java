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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ChannelSocketFactoryTest {

    /** Spinning, as by default, so that these tests go through {@link SpinningSocket} as well. */
    private final ChannelSocketFactory factory = new ChannelSocketFactory(TimeUnit.MILLISECONDS.toNanos(1), () -> true);

    /**
     * What OkHttp does with the factory: an unconnected socket, a timed connect, then blocking reads and
     * writes. (That the socket's descriptor is back in blocking mode is not visible from Java; it was
     * checked in {@code /proc/PID/fdinfo} and with {@code perf trace}, see the README.)
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
