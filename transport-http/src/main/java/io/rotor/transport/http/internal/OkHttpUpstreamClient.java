package io.rotor.transport.http.internal;

import io.rotor.api.HttpCall;
import io.rotor.api.UpstreamHttp;
import io.rotor.api.UpstreamResponse;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.internal.connection.ConnectionListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;

/**
 * The one upstream HTTP client, on OkHttp: blocking calls, connection pools sized for many concurrent
 * streams and split by calling thread ({@link Clients}), bodies handed over unread.
 *
 * <p>The read timeout is kept by a watchdog rather than by the socket: a read with a socket timeout
 * on a virtual thread arms and disarms a timer in the JDK's scheduler each time it waits, which costs a
 * thread wake-up per upstream response. The watchdog looks at the calls waiting for upstream bytes a
 * few times per timeout and cancels one that has waited too long, which its caller then sees as the
 * {@link SocketTimeoutException} a socket timeout would have thrown. It also cancels the call of a
 * thread that was interrupted while it waits (a client that hung up): a plain socket's read on a
 * platform thread does not end at an interrupt (the channel sockets of {@link ChannelSocketFactory}
 * do, as any socket does on a virtual thread). The same watch covers sending the
 * request (an upstream that stops reading it), so OkHttp keeps no write timeout either: okio keeps one
 * with a watchdog thread it wakes at every request (without it, saturated throughput measured about 15%
 * higher). For the same reason the connection pool runs its clean-up on {@link UnhurriedPoolTasks},
 * which does not wake a thread at every released connection.
 */
@Component(service = UpstreamHttp.class, configurationPid = "rotor",
        configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true)
public final class OkHttpUpstreamClient implements UpstreamHttp {

    // OkHttp's defaults (5 idle connections, 5 requests per host) suit a mobile app, not a gateway
    // that keeps hundreds of streams open to a handful of hosts. Idle connections kept per kind of calling
    // thread, its shards' pools together.
    private static final int MAX_IDLE_CONNECTIONS = 256;
    private static final Duration KEEP_ALIVE = Duration.ofMinutes(5);
    private static final int MAX_ASYNC_REQUESTS = 1024;
    /** The watchdog looks this many times per read timeout, so a timeout fires at most a quarter late. */
    private static final int LOOKS_PER_TIMEOUT = 4;
    /** ... and at least this often, for interrupted waits. */
    private static final long MAX_LOOK_INTERVAL_MS = 100;
    private static final int MAX_CACHED_URLS = 1_024;
    /** Clients per kind of calling thread (see {@link Clients}). */
    static final int SHARDS = 16;
    /** From this many calls waiting for upstream bytes on, calls spread over the shards. */
    static final int SPREAD_FROM = 8;
    /**
     * Up to this many calls waiting for upstream bytes, a call waits for its answer on the CPU for a while
     * before it blocks (see {@link SpinningSocket}): at most half the processors, so that an upstream on the
     * same machine still finds one free to answer on.
     */
    static final int MAX_WAITING_TO_SPIN = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);

    private static final Set<String> METHODS_WITH_BODY = Set.of("POST", "PUT", "PATCH");
    private static final byte[] NO_BYTES = new byte[0];

    private final ExecutorService dispatcherExecutor;
    private final CompletableFuture<Clients> client;
    private final long readTimeoutMs;
    private final Set<Watched> waiting = ConcurrentHashMap.newKeySet();
    private final Map<URI, HttpUrl> urls = new ConcurrentHashMap<>();
    private final Map<String, MediaType> mediaTypes = new ConcurrentHashMap<>();
    private final Thread watchdog;
    private volatile boolean closed;

    @Activate
    public OkHttpUpstreamClient(UpstreamClientConfiguration config) {
        dispatcherExecutor = Executors.newVirtualThreadPerTaskExecutor();
        readTimeoutMs = config.upstream_readTimeoutMs();
        // Building the client loads the JDK's trust store and OkHttp's own classes, a quarter of a second
        // on a cold JVM: it happens beside the rest of start-up (this component starts as soon as the
        // configuration is there), and the first call waits for it if it must.
        long spinNanos = TimeUnit.MICROSECONDS.toNanos(Math.max(0, config.upstream_spinMicros()));
        client = CompletableFuture.supplyAsync(() -> build(config.upstream_connectTimeoutMs(), spinNanos),
                task -> Thread.ofPlatform().name("rotor-upstream-client-start").daemon().start(task));
        watchdog = Thread.ofPlatform().name("rotor-upstream-watchdog").daemon().start(this::watch);
    }

    private Clients build(long connectTimeoutMs, long spinNanos) {
        OkHttpClient base = new OkHttpClient.Builder()
                .socketFactory(new ChannelSocketFactory(spinNanos, () -> waiting.size() <= MAX_WAITING_TO_SPIN))
                .connectTimeout(Duration.ofMillis(connectTimeoutMs))
                .readTimeout(Duration.ZERO)
                .writeTimeout(Duration.ZERO)
                .build();
        UnhurriedPoolTasks poolTasks = new UnhurriedPoolTasks();
        return new Clients(shards(base, poolTasks), shards(base, poolTasks));
    }

    /**
     * {@link #SHARDS} clients that share the base's settings, TLS set-up and socket factory, each with a
     * connection pool and a dispatcher of its own.
     */
    private List<OkHttpClient> shards(OkHttpClient base, UnhurriedPoolTasks poolTasks) {
        List<OkHttpClient> shards = new ArrayList<>(SHARDS);
        for (int i = 0; i < SHARDS; i++) {
            Dispatcher dispatcher = new Dispatcher(dispatcherExecutor);
            dispatcher.setMaxRequests(MAX_ASYNC_REQUESTS);
            dispatcher.setMaxRequestsPerHost(MAX_ASYNC_REQUESTS);
            ConnectionPool pool = new ConnectionPool(MAX_IDLE_CONNECTIONS / SHARDS, KEEP_ALIVE.toMillis(),
                    TimeUnit.MILLISECONDS, poolTasks.taskRunner(), ConnectionListener.Companion.getNONE());
            shards.add(base.newBuilder().dispatcher(dispatcher).connectionPool(pool).build());
        }
        return List.copyOf(shards);
    }

    /**
     * The clients calls are made with: for each kind of calling thread, {@link #SHARDS} clients, of which
     * a call uses one by its thread ({@link #shard}): a thread keeps to the same one while the load stays.
     *
     * <p>Kinds apart: a socket that a virtual thread has used once stays in non-blocking mode (the JDK's
     * choice), and a platform thread then reads it with a failed read and a {@code poll} each time it
     * waits. Keeping the platform threads' connections apart saves those two system calls per request
     * on the busiest connections (see {@link ChannelSocketFactory}).
     *
     * <p>Shards: to find an idle connection OkHttp's pool locks each of its connections in turn until
     * one is free, and each call takes its dispatcher's lock to be counted and again to be forgotten.
     * With one client, 64 connection threads on 2 cores each scanned dozens of busy connections per
     * request and queued on those locks (JFR: some 2,000 waits of 10 ms or more on a connection's lock
     * in one benchmark run), often behind a thread the scheduler had preempted while holding one. A
     * shard's pool holds about the connections of the threads that use it, so a request finds its
     * thread's last connection among a few, and a preempted lock holder stalls only its shard.
     *
     * <p>Calls spread only under load, from {@link #SPREAD_FROM} calls waiting for upstream bytes on:
     * under a light load every call goes to the first shard, as with one pool. Spread at any load, a
     * request now and then from a new client connection (a new thread) would land on a shard whose pool
     * held no connection to its upstream, or one idle past OkHttp's health check, and pay a new connection
     * with its TLS handshake where one pool would have had a warm one. Under load a thread keeps to its
     * shard: a number of shards that followed the load from call to call would move a thread's calls
     * between shards and leave its last connection behind (measured slower).
     */
    private record Clients(List<OkHttpClient> onPlatformThreads, List<OkHttpClient> onVirtualThreads) {

        OkHttpClient forThread(Thread thread, int waitingCalls) {
            List<OkHttpClient> shards = thread.isVirtual() ? onVirtualThreads : onPlatformThreads;
            return shards.get(shard(thread, waitingCalls));
        }

        List<OkHttpClient> all() {
            List<OkHttpClient> all = new ArrayList<>(onPlatformThreads);
            all.addAll(onVirtualThreads);
            return all;
        }
    }

    /** The shard a thread's call goes to while {@code waitingCalls} calls wait for upstream bytes (see {@link Clients}). */
    static int shard(Thread thread, int waitingCalls) {
        return waitingCalls < SPREAD_FROM ? 0 : (int) Math.floorMod(thread.threadId(), (long) SHARDS);
    }

    private OkHttpClient client() {
        try {
            return client.join().forThread(Thread.currentThread(), waiting.size());
        } catch (CompletionException e) {
            throw new IllegalStateException("the upstream HTTP client could not start: " + e.getCause(), e.getCause());
        }
    }

    @Override
    public UpstreamResponse execute(HttpCall httpCall) throws IOException {
        Call call = client().newCall(toRequest(httpCall));
        Watched watched = new Watched(call);
        Response response;
        watched.waitStarts();
        try {
            response = call.execute();
        } catch (IOException e) {
            throw watched.timedOut ? timeout(e) : e;
        } finally {
            watched.waitEnds();
        }
        InputStream body = new CallBodyStream(call, response, watched);
        Map<String, List<String>> headers = response.headers().toMultimap();
        return new UpstreamResponse(response.code(), headers, body, null);
    }

    private Request toRequest(HttpCall httpCall) {
        Request.Builder builder = new Request.Builder().url(url(httpCall.uri()));
        httpCall.headers().forEach((name, values) -> values.forEach(value -> builder.addHeader(name, value)));
        MediaType mediaType = httpCall.contentType() == null ? null
                : mediaTypes.computeIfAbsent(httpCall.contentType(), MediaType::parse);
        byte[] bytes = httpCall.body();
        if (bytes == null && METHODS_WITH_BODY.contains(httpCall.method())) {
            bytes = NO_BYTES;
        }
        builder.method(httpCall.method(), bytes == null ? null : RequestBody.create(bytes, mediaType));
        return builder.build();
    }

    /** Upstream URLs repeat (a few endpoints per upstream): parsed once each, within a bound. */
    private HttpUrl url(URI uri) {
        HttpUrl url = urls.get(uri);
        if (url == null) {
            if (urls.size() >= MAX_CACHED_URLS) {
                urls.clear();
            }
            url = HttpUrl.get(uri.toString());
            urls.put(uri, url);
        }
        return url;
    }

    @Deactivate
    public void close() {
        closed = true;
        watchdog.interrupt();
        // Does not wait for a client still being built (a short CLI command may end first), nor fail on one that failed.
        client.thenAccept(started -> started.all().forEach(each -> {
            each.dispatcher().cancelAll();
            each.connectionPool().evictAll();
        }));
        dispatcherExecutor.shutdownNow();
        // The pool's task backend keeps running: see UnhurriedPoolTasks.
    }

    private void watch() {
        long interval = readTimeoutMs <= 0 ? MAX_LOOK_INTERVAL_MS
                : Math.max(1, Math.min(MAX_LOOK_INTERVAL_MS, readTimeoutMs / LOOKS_PER_TIMEOUT));
        long timeoutNanos = readTimeoutMs <= 0 ? Long.MAX_VALUE : TimeUnit.MILLISECONDS.toNanos(readTimeoutMs);
        while (!closed) {
            try {
                Thread.sleep(interval);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            for (Watched watched : waiting) {
                long since = watched.waitingSince;
                if (since == 0 || since == Watched.EXPIRED) {
                    continue;
                }
                boolean timedOut = now - since > timeoutNanos;
                if (timedOut || watched.waiter.isInterrupted()) {
                    watched.expire(since, timedOut);
                }
            }
        }
    }

    private static SocketTimeoutException timeout(IOException cause) {
        SocketTimeoutException timeout = new SocketTimeoutException("upstream read timed out");
        timeout.initCause(cause);
        return timeout;
    }

    /**
     * A call while it waits for upstream bytes: the response head, or more of the body. One object
     * serves every wait of a call, so the watchdog acts on a wait only if it is still the one it looked
     * at ({@link #expire}).
     */
    final class Watched {
        private static final VarHandle WAITING_SINCE;

        static {
            try {
                WAITING_SINCE = MethodHandles.lookup().findVarHandle(Watched.class, "waitingSince", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        /** {@link #waitingSince} once the watchdog has ended the wait. */
        static final long EXPIRED = -1;

        final Call call;
        volatile Thread waiter;
        /** When the current wait began ({@link System#nanoTime()}, never 0), or 0 between waits. */
        volatile long waitingSince;
        volatile boolean timedOut;

        Watched(Call call) {
            this.call = call;
        }

        void waitStarts() {
            waiter = Thread.currentThread();
            long now = System.nanoTime();
            waitingSince = now == 0 || now == EXPIRED ? 1 : now;
            waiting.add(this);
        }

        void waitEnds() {
            waitingSince = 0;
            waiting.remove(this);
        }

        /**
         * Cancels the call if the wait that began at {@code since} is still going on. A wait that has
         * ended since the watchdog looked, or been followed by another, is left alone: the watchdog
         * read its start before the reader moved on, and the next wait has its own time.
         *
         * @return whether the call was cancelled
         */
        boolean expire(long since, boolean timedOut) {
            if (!WAITING_SINCE.compareAndSet(this, since, EXPIRED)) {
                return false;
            }
            this.timedOut = timedOut;
            call.cancel();
            waiting.remove(this);
            return true;
        }
    }

    /**
     * The response body as the caller reads it. Closing it early cancels the call: OkHttp would
     * otherwise try to drain the rest of a possibly endless event stream to reuse the connection.
     */
    private static final class CallBodyStream extends FilterInputStream {

        private final Call call;
        private final Response response;
        private final Watched watched;
        private boolean exhausted;
        private boolean closed;

        CallBodyStream(Call call, Response response, Watched watched) {
            super(response.body().byteStream());
            this.call = call;
            this.response = response;
            this.watched = watched;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            // okio waits for the next bytes even when asked for none, and InputStream.readNBytes asks
            // for none once it has all it wanted: on a live stream that read would hang.
            if (length == 0) {
                return 0;
            }
            int n;
            watched.waitStarts();
            try {
                n = super.read(buffer, offset, length);
            } catch (IOException e) {
                throw watched.timedOut ? timeout(e) : e;
            } finally {
                watched.waitEnds();
            }
            exhausted |= n < 0;
            return n;
        }

        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (!exhausted) {
                call.cancel();
            }
            response.close();
        }
    }
}
