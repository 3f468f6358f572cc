package io.rotor.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * The least any proxy does: a TCP relay that copies bytes between each client connection and a
 * connection of its own to the fake upstream, without reading HTTP. Measured beside Rotor, it shows
 * what one more loopback hop costs on this machine, the floor under what any gateway can add.
 * One platform thread per direction and blocking sockets, the quickest way here to wake on a byte.
 *
 * <pre>java io.rotor.bench.Relay TARGET_PORT</pre> prints {@code relay listening on PORT}.
 */
public final class Relay {

    private static final int BUFFER = 16 * 1024;

    private Relay() {
    }

    public static void main(String[] args) throws IOException {
        InetSocketAddress target = new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(args[0]));
        ServerSocket listener = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress());
        System.out.println("relay listening on " + listener.getLocalPort());
        System.out.flush();
        Thread.ofPlatform().daemon().start(() -> accept(listener, target));
        Processes.awaitEndOfInput();
        System.exit(0);
    }

    private static void accept(ServerSocket listener, InetSocketAddress target) {
        while (true) {
            try {
                Socket client = listener.accept();
                Thread.ofPlatform().daemon().start(() -> relay(client, target));
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void relay(Socket client, InetSocketAddress target) {
        try (client; Socket upstream = new Socket()) {
            client.setTcpNoDelay(true);
            upstream.setTcpNoDelay(true);
            upstream.connect(target);
            Thread back = Thread.ofPlatform().daemon().start(() -> copy(upstream, client));
            copy(client, upstream);
            back.join();
        } catch (IOException | InterruptedException e) {
            // one side went away: both close
        }
    }

    /** Copies until {@code from} ends, then ends {@code to}'s output so the other side sees it. */
    private static void copy(Socket from, Socket to) {
        byte[] buffer = new byte[BUFFER];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
            }
            to.shutdownOutput();
        } catch (IOException e) {
            try {
                to.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
