package io.rotor.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Iterator;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The same bare TCP relay as {@link Relay}, on event loops instead of a thread per direction: one
 * selector thread per core, each serving many connections. Under saturation a loop finds several
 * connections ready at each wake-up, so the relay switches threads far less often per request, which
 * on a small machine is most of what a thread per connection costs. The lower of the two relays' costs
 * is the floor under what any gateway can add here.
 *
 * <pre>java io.rotor.bench.EventLoopRelay TARGET_PORT</pre> prints {@code relay listening on PORT}.
 */
public final class EventLoopRelay {

    private static final int BUFFER = 16 * 1024;

    private EventLoopRelay() {
    }

    public static void main(String[] args) throws IOException {
        InetSocketAddress target = new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(args[0]));
        ServerSocketChannel listener = ServerSocketChannel.open();
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
        Loop[] loops = new Loop[Runtime.getRuntime().availableProcessors()];
        for (int i = 0; i < loops.length; i++) {
            loops[i] = new Loop();
            Thread.ofPlatform().name("relay-loop-" + i).daemon().start(loops[i]::run);
        }
        System.out.println("relay listening on " + listener.socket().getLocalPort());
        System.out.flush();
        Thread.ofPlatform().daemon().start(() -> accept(listener, target, loops));
        Processes.awaitEndOfInput();
        System.exit(0);
    }

    private static void accept(ServerSocketChannel listener, InetSocketAddress target, Loop[] loops) {
        for (int next = 0; ; next = (next + 1) % loops.length) {
            SocketChannel client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return;
            }
            try {
                SocketChannel upstream = SocketChannel.open(target);
                for (SocketChannel channel : new SocketChannel[] {client, upstream}) {
                    channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    channel.configureBlocking(false);
                }
                loops[next].add(client, upstream);
            } catch (IOException e) {
                closeQuietly(client);
            }
        }
    }

    /** One end of a relayed pair: its channel, and the bytes read from the other end still to write to it. */
    private static final class End {
        final SocketChannel channel;
        final ByteBuffer pending = ByteBuffer.allocateDirect(BUFFER);
        SelectionKey key;
        End other;

        End(SocketChannel channel) {
            this.channel = channel;
        }

        void close() {
            key.cancel();
            other.key.cancel();
            closeQuietly(channel);
            closeQuietly(other.channel);
        }
    }

    private static final class Loop {
        private final Selector selector;
        private final Queue<SocketChannel[]> added = new ConcurrentLinkedQueue<>();

        Loop() throws IOException {
            selector = Selector.open();
        }

        void add(SocketChannel client, SocketChannel upstream) {
            added.add(new SocketChannel[] {client, upstream});
            selector.wakeup();
        }

        void run() {
            while (true) {
                try {
                    selector.select();
                    register();
                    Iterator<SelectionKey> ready = selector.selectedKeys().iterator();
                    while (ready.hasNext()) {
                        SelectionKey key = ready.next();
                        ready.remove();
                        End end = (End) key.attachment();
                        try {
                            if (key.isValid() && key.isWritable()) {
                                flush(end);
                            }
                            if (key.isValid() && key.isReadable()) {
                                relayFrom(end);
                            }
                        } catch (IOException e) {
                            end.close();
                        }
                    }
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void register() throws IOException {
            SocketChannel[] pair;
            while ((pair = added.poll()) != null) {
                End client = new End(pair[0]);
                End upstream = new End(pair[1]);
                client.other = upstream;
                upstream.other = client;
                client.key = pair[0].register(selector, SelectionKey.OP_READ, client);
                upstream.key = pair[1].register(selector, SelectionKey.OP_READ, upstream);
            }
        }

        /** Reads what {@code from} has and writes it on; what the other end cannot take yet waits for it. */
        private static void relayFrom(End from) throws IOException {
            End to = from.other;
            if (from.channel.read(to.pending) < 0) {
                from.close();
                return;
            }
            to.pending.flip();
            to.channel.write(to.pending);
            if (to.pending.hasRemaining()) {
                from.key.interestOps(from.key.interestOps() & ~SelectionKey.OP_READ);
                to.key.interestOps(to.key.interestOps() | SelectionKey.OP_WRITE);
            } else {
                to.pending.clear();
            }
        }

        private static void flush(End to) throws IOException {
            to.channel.write(to.pending);
            if (!to.pending.hasRemaining()) {
                to.pending.clear();
                to.key.interestOps(to.key.interestOps() & ~SelectionKey.OP_WRITE);
                to.other.key.interestOps(to.other.key.interestOps() | SelectionKey.OP_READ);
            }
        }
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
