package io.rotor.transport.http.internal;

import com.sun.net.httpserver.Authenticator;
import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP/1.1 server for the JDK's {@link HttpHandler}s with one thread per connection, which reads
 * requests and writes responses on a blocking socket. Compared with the JDK's own server, a request
 * costs no hand-off from a selector thread to a worker and back, which is most of what a proxy spends
 * per request.
 *
 * <p>The first {@link #PLATFORM_CONNECTIONS} connections open at a time are served on platform threads,
 * the rest on virtual threads. A blocking read on a platform thread waits in the kernel and wakes that
 * thread directly; on a virtual thread it waits in the JDK's poller, which wakes a carrier thread to
 * continue it: two more thread switches per read (measured A/B on 2 cores: 0.04–0.09 ms less added
 * latency at the median, 7–27% more requests per second). A platform thread held by a connection costs
 * about 100 KiB more resident memory than a virtual one (129 against 34 KiB per held stream when all
 * were platform threads), so thousands of mostly idle streams stay on virtual threads. Handlers see
 * one difference: an interrupt ends a blocking socket read only on a virtual thread (see
 * {@link Http1Exchange}).
 *
 * <p>Timeouts are kept by one sweeper that closes connections left idle, instead of a timed wait per read.
 * The same sweeper starts the hang-up watches of streamed responses that have lasted long enough to
 * need one ({@link Http1Connection#watchForHangUpFrom}).
 *
 * <p>Requests are routed as the JDK's server routes them: to the context with the longest path that
 * prefixes the request's path. Malformed heads, conflicting body lengths, unknown transfer codings,
 * over-large heads ({@code 431}) and other HTTP versions are refused before a handler sees them.
 */
final class VirtualThreadHttpServer {

    private static final System.Logger LOG = System.getLogger(VirtualThreadHttpServer.class.getName());

    /** A connection waiting longer than this for (the rest of) a request head is closed. */
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);
    private static final long SWEEP_MILLIS = 1_000;
    /** How often the sweeper starts the hang-up watches that are due (see {@link Http1Connection#startWatchIfDue}). */
    static final long WATCH_LOOK_MILLIS = 100;
    /** How many connections may be served on platform threads at a time. */
    static final int PLATFORM_CONNECTIONS = 64;

    private record Context(String path, HttpContext context) {
    }

    private final ServerSocket listener;
    private final List<Context> contexts = new CopyOnWriteArrayList<>();
    private final Set<Http1Connection> connections = ConcurrentHashMap.newKeySet();
    private final Duration idleTimeout;
    private final Semaphore platformThreads;
    private volatile boolean stopping;
    private Thread acceptor;
    private Thread sweeper;

    VirtualThreadHttpServer(InetSocketAddress address, int backlog) throws IOException {
        this(address, backlog, IDLE_TIMEOUT, PLATFORM_CONNECTIONS);
    }

    VirtualThreadHttpServer(InetSocketAddress address, int backlog, Duration idleTimeout, int platformConnections)
            throws IOException {
        this.idleTimeout = idleTimeout;
        this.platformThreads = new Semaphore(platformConnections);
        listener = new ServerSocket();
        listener.setReuseAddress(true);
        try {
            listener.bind(address, backlog);
        } catch (IOException e) {
            listener.close();
            throw e;
        }
    }

    /** Routes requests whose path starts with {@code path} (and no longer registered path) to {@code handler}. */
    void createContext(String path, HttpHandler handler) {
        contexts.add(new Context(path, new SimpleContext(path, handler)));
        contexts.sort(Comparator.comparingInt((Context c) -> c.path().length()).reversed());
    }

    void start() {
        acceptor = Thread.ofPlatform().name("rotor-http-acceptor").daemon().start(this::accept);
        sweeper = Thread.ofPlatform().name("rotor-http-idle-sweeper").daemon().start(this::sweep);
    }

    InetSocketAddress address() {
        return (InetSocketAddress) listener.getLocalSocketAddress();
    }

    /**
     * Stops accepting, closes idle connections at once, and gives requests being served up to
     * {@code grace} to finish before closing their connections too.
     */
    void stop(Duration grace) {
        stopping = true;
        try {
            listener.close();
        } catch (IOException e) {
            // closing anyway
        }
        long deadline = System.nanoTime() + grace.toNanos();
        while (true) {
            connections.stream().filter(connection -> connection.idleSince != 0).forEach(Http1Connection::close);
            if (connections.isEmpty() || System.nanoTime() >= deadline) {
                break;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        connections.forEach(Http1Connection::close);
        if (sweeper != null) {
            sweeper.interrupt();
        }
        if (acceptor != null) {
            try {
                acceptor.join(TimeUnit.SECONDS.toMillis(1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void accept() {
        while (!stopping) {
            Socket socket;
            try {
                socket = listener.accept();
            } catch (IOException e) {
                if (!stopping) {
                    LOG.log(Level.WARNING, "accepting a connection failed: {0}", e.getMessage());
                }
                continue;
            }
            try {
                socket.setTcpNoDelay(true);
                Http1Connection connection = new Http1Connection(socket);
                connection.idleSince = System.currentTimeMillis();
                connections.add(connection);
                startServing(connection);
            } catch (IOException | RuntimeException e) {
                closeQuietly(socket);
            }
        }
    }

    private void startServing(Http1Connection connection) {
        if (platformThreads.tryAcquire()) {
            try {
                Thread.ofPlatform().name("rotor-http-connection").daemon().start(() -> {
                    try {
                        serve(connection);
                    } finally {
                        platformThreads.release();
                    }
                });
                return;
            } catch (OutOfMemoryError noThread) {
                // The system has no thread to spare (ulimit -u): a virtual thread serves it.
                platformThreads.release();
            }
        }
        Thread.ofVirtual().start(() -> serve(connection));
    }

    private void serve(Http1Connection connection) {
        // Set when the server ends the connection after a response while the client may still be sending.
        boolean linger = false;
        try {
            while (!stopping) {
                connection.idleSince = System.currentTimeMillis();
                Http1Connection.Head head;
                try {
                    head = connection.readHead();
                } catch (Http1Connection.BadRequest refused) {
                    connection.refuse(refused.status, refused.getMessage());
                    linger = true;
                    return;
                }
                if (head == null) {
                    return;
                }
                connection.idleSince = 0;
                connection.shrink();
                if (!exchange(connection, head)) {
                    linger = true;
                    return;
                }
            }
        } catch (IOException clientGone) {
            LOG.log(Level.DEBUG, "connection ended: {0}", clientGone.getMessage());
        } finally {
            if (linger && !stopping) {
                connection.lingerAndClose();
            }
            connections.remove(connection);
            connection.close();
        }
    }

    /** Serves one request; false if the connection cannot carry another. */
    private boolean exchange(Http1Connection connection, Http1Connection.Head head) throws IOException {
        Context route = route(head.uri().getPath());
        if (route == null) {
            connection.refuse(404, "No handler for this path.");
            return false;
        }
        Http1Exchange exchange = new Http1Exchange(connection, head, route.context());
        try {
            route.context().getHandler().handle(exchange);
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "exchange ended early: {0}", e.getMessage());
        } catch (RuntimeException | Error e) {
            LOG.log(Level.WARNING, "handler failed: {0}", e.getClass().getName());
        } finally {
            exchange.close();
        }
        return exchange.keepsConnection() && !stopping;
    }

    private Context route(String path) {
        if (path == null) {
            return null;
        }
        for (Context context : contexts) {
            if (path.startsWith(context.path())) {
                return context;
            }
        }
        return null;
    }

    /**
     * Starts the hang-up watches that are due, and once a second closes connections that waited for a
     * request head too long (idle keep-alive, or a head that trickles in).
     */
    private void sweep() {
        long lastIdleSweep = System.nanoTime();
        while (!stopping) {
            try {
                Thread.sleep(WATCH_LOOK_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            boolean idleSweep = now - lastIdleSweep >= TimeUnit.MILLISECONDS.toNanos(SWEEP_MILLIS);
            long cutoff = System.currentTimeMillis() - idleTimeout.toMillis();
            for (Http1Connection connection : connections) {
                connection.startWatchIfDue(now);
                long since = connection.idleSince;
                if (idleSweep && since != 0 && since < cutoff) {
                    connection.close();
                }
            }
            if (idleSweep) {
                lastIdleSweep = now;
            }
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    /** The little of {@link HttpContext} handlers may ask for. */
    private static final class SimpleContext extends HttpContext {
        private final String path;
        private HttpHandler handler;
        private final Map<String, Object> attributes = new HashMap<>();
        private final List<Filter> filters = new ArrayList<>();
        private Authenticator authenticator;

        SimpleContext(String path, HttpHandler handler) {
            this.path = path;
            this.handler = handler;
        }

        @Override
        public HttpHandler getHandler() {
            return handler;
        }

        @Override
        public void setHandler(HttpHandler handler) {
            this.handler = handler;
        }

        @Override
        public String getPath() {
            return path;
        }

        @Override
        public HttpServer getServer() {
            return null;
        }

        @Override
        public Map<String, Object> getAttributes() {
            return attributes;
        }

        @Override
        public List<Filter> getFilters() {
            return filters;
        }

        @Override
        public Authenticator setAuthenticator(Authenticator newAuthenticator) {
            Authenticator old = authenticator;
            authenticator = newAuthenticator;
            return old;
        }

        @Override
        public Authenticator getAuthenticator() {
            return authenticator;
        }
    }
}
