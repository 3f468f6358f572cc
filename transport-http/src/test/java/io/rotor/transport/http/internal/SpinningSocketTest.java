package io.rotor.transport.http.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The spin itself is a matter of time and is measured by the benchmark ({@code ./bench --against});
 * these tests pin down when a read spins (counted as the wrapped socket's {@code available()} calls)
 * and that a spinning socket carries bytes, ends and fails as the socket it wraps.
 */
@Timeout(30)
class SpinningSocketTest {

    private static final long LONG_SPIN = TimeUnit.SECONDS.toNanos(5);

    private ServerSocket server;
    private Socket upstream;
    private CountingSocket wrapped;
    private final AtomicBoolean fewCallsWaiting = new AtomicBoolean(true);

    @BeforeEach
    void connect() throws IOException {
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        wrapped = new CountingSocket(SocketChannel.open().socket());
        wrapped.connect(server.getLocalSocketAddress(), 5_000);
        upstream = server.accept();
    }

    @AfterEach
    void close() throws IOException {
        upstream.close();
        wrapped.close();
        server.close();
    }

    @Test
    void aReadAfterAWriteWaitsForTheAnswerOnTheCpuWhileFewCallsWait() throws Exception {
        Socket socket = new SpinningSocket(wrapped, LONG_SPIN, fewCallsWaiting::get);
        InputStream in = socket.getInputStream();
        socket.getOutputStream().write("ping".getBytes());
        CompletableFuture<Void> answer = CompletableFuture.runAsync(() -> {
            try {
                assertEquals('p', upstream.getInputStream().read());
                // Answers only once the reader has been seen spinning.
                while (wrapped.availableCalls.get() < 10) {
                    Thread.onSpinWait();
                }
                upstream.getOutputStream().write("pong".getBytes());
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });

        assertArrayEquals("pong".getBytes(), in.readNBytes(4));
        answer.get(10, TimeUnit.SECONDS);
        assertTrue(wrapped.availableCalls.get() >= 10);
    }

    @Test
    void onlyTheFirstReadAfterAWriteSpins() throws Exception {
        Socket socket = new SpinningSocket(wrapped, LONG_SPIN, fewCallsWaiting::get);
        InputStream in = socket.getInputStream();
        socket.getOutputStream().write(1);
        upstream.getOutputStream().write(new byte[] {1, 2});
        assertEquals(1, in.read());
        int afterFirst = wrapped.availableCalls.get();

        assertEquals(2, in.read());

        assertEquals(afterFirst, wrapped.availableCalls.get(), "the rest of an answer is read without a spin");
        assertTrue(afterFirst >= 1);
    }

    @Test
    void withManyCallsWaitingAReadBlocksAtOnce() throws Exception {
        fewCallsWaiting.set(false);
        Socket socket = new SpinningSocket(wrapped, LONG_SPIN, fewCallsWaiting::get);
        socket.getOutputStream().write(1);
        upstream.getOutputStream().write(9);

        assertEquals(9, socket.getInputStream().read());

        assertEquals(0, wrapped.availableCalls.get());
    }

    @Test
    void anAnswerLaterThanTheSpinIsStillRead() throws Exception {
        Socket socket = new SpinningSocket(wrapped, TimeUnit.MICROSECONDS.toNanos(100), fewCallsWaiting::get);
        socket.getOutputStream().write(1);
        CompletableFuture.runAsync(() -> {
            try {
                Thread.sleep(200);
                upstream.getOutputStream().write(5);
            } catch (IOException | InterruptedException e) {
                throw new RuntimeException(e);
            }
        });

        assertEquals(5, socket.getInputStream().read());
    }

    @Test
    void anInterruptEndsTheSpinAndTheReadFailsAsTheChannelsWould() throws Exception {
        Socket socket = new SpinningSocket(wrapped, LONG_SPIN, fewCallsWaiting::get);
        socket.getOutputStream().write(1);
        CompletableFuture<Throwable> failure = new CompletableFuture<>();
        Thread reader = Thread.ofPlatform().start(() -> {
            try {
                socket.getInputStream().read();
                failure.complete(null);
            } catch (Throwable e) {
                failure.complete(e);
            }
        });
        while (wrapped.availableCalls.get() < 10) {
            Thread.onSpinWait();
        }

        reader.interrupt();

        // Well before the 5-second spin would have ended.
        assertTrue(failure.get(2, TimeUnit.SECONDS) instanceof ClosedByInterruptException);
        assertTrue(socket.isClosed(), "an interrupted channel closes, as before");
    }

    @Test
    void theEndOfTheStreamAndSocketStateAreTheWrappedSockets() throws Exception {
        Socket socket = new SpinningSocket(wrapped, TimeUnit.MICROSECONDS.toNanos(100), fewCallsWaiting::get);
        socket.getOutputStream().write(1);
        upstream.shutdownOutput();

        assertEquals(-1, socket.getInputStream().read());
        assertTrue(socket.isConnected());
        assertEquals(server.getLocalPort(), socket.getPort());
        socket.setSoTimeout(1234);
        assertEquals(1234, wrapped.getSoTimeout());
        socket.close();
        assertTrue(wrapped.isClosed());
        assertThrows(IOException.class, () -> socket.getOutputStream().write(1));
    }

    /** The wrapped socket, counting how often its input was asked how many bytes it holds. */
    private static final class CountingSocket extends Socket {
        final AtomicInteger availableCalls = new AtomicInteger();
        private final Socket socket;

        CountingSocket(Socket socket) throws IOException {
            super((java.net.SocketImpl) null);
            this.socket = socket;
        }

        @Override
        public void connect(java.net.SocketAddress endpoint, int timeout) throws IOException {
            socket.connect(endpoint, timeout);
        }

        @Override
        public InputStream getInputStream() throws IOException {
            InputStream in = socket.getInputStream();
            return new java.io.FilterInputStream(in) {
                @Override
                public int available() throws IOException {
                    availableCalls.incrementAndGet();
                    return super.available();
                }
            };
        }

        @Override
        public java.io.OutputStream getOutputStream() throws IOException {
            return socket.getOutputStream();
        }

        @Override
        public int getPort() {
            return socket.getPort();
        }

        @Override
        public boolean isConnected() {
            return socket.isConnected();
        }

        @Override
        public boolean isClosed() {
            return socket.isClosed();
        }

        @Override
        public void setSoTimeout(int timeout) throws java.net.SocketException {
            socket.setSoTimeout(timeout);
        }

        @Override
        public int getSoTimeout() throws java.net.SocketException {
            return socket.getSoTimeout();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
