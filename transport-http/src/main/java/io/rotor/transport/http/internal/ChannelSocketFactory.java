package io.rotor.transport.http.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.util.function.BooleanSupplier;
import javax.net.SocketFactory;

/**
 * Upstream sockets backed by a {@link SocketChannel}, so that a connect with a timeout leaves them
 * reading with plain blocking calls.
 *
 * <p>The JDK's default socket switches itself to non-blocking mode for good at its first timed
 * operation, and OkHttp's connect always has a timeout. From then on each read that finds no bytes yet
 * costs a failed read and a {@code poll} before the real read: two more system calls per upstream
 * response on a platform thread. A channel's socket goes back to blocking mode once its timed connect
 * ends. On a virtual thread both kinds wait through the JDK's poller, as before. With a spin time, each
 * socket is wrapped in a {@link SpinningSocket}, which waits briefly on the CPU for an answer before it
 * blocks.
 */
final class ChannelSocketFactory extends SocketFactory {

    private final long spinNanos;
    private final BooleanSupplier fewCallsWaiting;

    /**
     * @param spinNanos how long a read waits for an answer on the CPU before it blocks, or 0 for never
     * @param fewCallsWaiting whether a read may do so now (see {@link SpinningSocket})
     */
    ChannelSocketFactory(long spinNanos, BooleanSupplier fewCallsWaiting) {
        this.spinNanos = spinNanos;
        this.fewCallsWaiting = fewCallsWaiting;
    }

    @Override
    public Socket createSocket() throws IOException {
        Socket socket = SocketChannel.open().socket();
        return spinNanos > 0 ? new SpinningSocket(socket, spinNanos, fewCallsWaiting) : socket;
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return connected(new InetSocketAddress(host, port), null);
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return connected(new InetSocketAddress(host, port), new InetSocketAddress(localHost, localPort));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return connected(new InetSocketAddress(host, port), null);
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
            throws IOException {
        return connected(new InetSocketAddress(address, port), new InetSocketAddress(localAddress, localPort));
    }

    private Socket connected(InetSocketAddress remote, InetSocketAddress local) throws IOException {
        Socket socket = createSocket();
        try {
            if (local != null) {
                socket.bind(local);
            }
            socket.connect(remote);
            return socket;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }
}
