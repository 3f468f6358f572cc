package io.rotor.transport.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rotor.api.HttpCall;
import io.rotor.api.UpstreamResponse;
import java.io.IOException;
import java.io.InputStream;
import java.lang.annotation.Annotation;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import mockwebserver3.MockResponse;
import mockwebserver3.MockResponseBody;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.Call;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okio.BufferedSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class OkHttpUpstreamClientTest {

    private final MockWebServer upstream = new MockWebServer();
    private OkHttpUpstreamClient http;

    @BeforeEach
    void start() throws IOException {
        upstream.start();
        http = new OkHttpUpstreamClient(config(5_000, 300));
    }

    @AfterEach
    void stop() {
        http.close();
        upstream.close();
    }

    @Test
    void sendsMethodHeadersAndBodyAsGiven() throws Exception {
        upstream.enqueue(new MockResponse.Builder().code(201).addHeader("X-Request-Id", "r-1").body("done").build());
        HttpCall call = new HttpCall("PUT", URI.create(upstream.url("/things/1").toString()),
                Map.of("X-Multi", List.of("a", "b")), "{\"a\":1}".getBytes(StandardCharsets.UTF_8), "application/json");

        try (UpstreamResponse response = http.execute(call)) {
            assertEquals(201, response.status());
            assertEquals("r-1", response.header("x-request-id"));
            assertEquals("done", new String(response.body().readAllBytes(), StandardCharsets.UTF_8));
        }

        RecordedRequest request = upstream.takeRequest();
        assertEquals("PUT", request.getMethod());
        assertEquals(List.of("a", "b"), request.getHeaders().values("X-Multi"));
        assertEquals("{\"a\":1}", request.getBody().utf8());
        assertTrue(request.getHeaders().get("Content-Type").startsWith("application/json"));
    }

    @Test
    void sendsAnEmptyBodyWhenAPostHasNone() throws Exception {
        upstream.enqueue(new MockResponse.Builder().code(200).build());

        try (UpstreamResponse response = http.execute(
                new HttpCall("POST", URI.create(upstream.url("/x").toString()), Map.of(), null, null))) {
            assertEquals(200, response.status());
        }

        assertEquals(0, upstream.takeRequest().getBodySize());
    }

    @Test
    void platformAndVirtualThreadsReuseConnectionsOfTheirOwnKind() throws Exception {
        List<Thread> callers = List.of(Thread.ofPlatform().unstarted(this::getModels),
                Thread.ofVirtual().unstarted(this::getModels), Thread.ofPlatform().unstarted(this::getModels),
                Thread.ofVirtual().unstarted(this::getModels));

        int[] connections = connectionsUsedOneAfterAnother(callers);

        assertEquals(connections[0], connections[2], "platform threads share a connection");
        assertEquals(connections[1], connections[3], "virtual threads share a connection");
        assertTrue(connections[0] != connections[1], "the two kinds use different connections");
    }

    @Test
    void aLightLoadUsesOneShardAndAHeavyOneSpreadsByThread() {
        int shards = OkHttpUpstreamClient.SHARDS;
        int spreadFrom = OkHttpUpstreamClient.SPREAD_FROM;
        Thread thread = Thread.ofPlatform().unstarted(() -> { });
        while (thread.threadId() % shards != shards - 1) {
            thread = Thread.ofPlatform().unstarted(() -> { });
        }

        for (int waiting = 0; waiting < spreadFrom; waiting++) {
            assertEquals(0, OkHttpUpstreamClient.shard(thread, waiting), waiting + " calls waiting");
        }
        assertEquals(shards - 1, OkHttpUpstreamClient.shard(thread, spreadFrom), "spread by thread");
        assertEquals(shards - 1, OkHttpUpstreamClient.shard(thread, 1_000), "the same shard at any load");
    }

    @Test
    void underLoadThreadsOfDifferentShardsUseDifferentConnections() throws Exception {
        // Calls kept waiting for their response head, so that calls spread.
        int held = OkHttpUpstreamClient.SPREAD_FROM;
        for (int i = 0; i < held; i++) {
            upstream.enqueue(new MockResponse.Builder().code(200).headersDelay(2, TimeUnit.SECONDS).build());
        }
        List<Thread> holders = new ArrayList<>();
        for (int i = 0; i < held; i++) {
            holders.add(Thread.ofVirtual().start(this::getModels));
        }
        for (int i = 0; i < held; i++) {
            upstream.takeRequest();
        }
        Thread first = Thread.ofPlatform().unstarted(this::getModels);
        Thread other = Thread.ofPlatform().unstarted(this::getModels);
        while (shard(other) == shard(first)) {
            other = Thread.ofPlatform().unstarted(this::getModels);
        }
        Thread again = Thread.ofPlatform().unstarted(this::getModels);
        while (shard(again) != shard(first)) {
            again = Thread.ofPlatform().unstarted(this::getModels);
        }

        int[] connections = connectionsUsedOneAfterAnother(List.of(first, other, again));

        assertTrue(connections[0] != connections[1], "another shard opens its own connection, though one is idle");
        assertEquals(connections[0], connections[2], "the first shard's connection is reused");
        for (Thread holder : holders) {
            holder.join();
        }
    }

    private static int shard(Thread thread) {
        return OkHttpUpstreamClient.shard(thread, OkHttpUpstreamClient.SPREAD_FROM);
    }

    private void getModels() {
        URI uri = URI.create(upstream.url("/v1/models").toString());
        try (UpstreamResponse response = http.execute(new HttpCall("GET", uri, Map.of(), null, null))) {
            response.body().readAllBytes();
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    /** Each thread's call in turn, the next one started when the last has ended: the connection each used. */
    private int[] connectionsUsedOneAfterAnother(List<Thread> callers) throws InterruptedException {
        int[] connections = new int[callers.size()];
        for (int i = 0; i < callers.size(); i++) {
            upstream.enqueue(new MockResponse.Builder().code(200).body("ok").build());
            callers.get(i).start();
            callers.get(i).join();
            connections[i] = upstream.takeRequest().getConnectionIndex();
        }
        return connections;
    }

    @Test
    void timesOutWhenNoResponseStartsWithinTheReadTimeout() {
        upstream.enqueue(new MockResponse.Builder().code(200).headersDelay(3, TimeUnit.SECONDS).build());

        assertThrows(SocketTimeoutException.class, () -> http.execute(
                new HttpCall("GET", URI.create(upstream.url("/slow").toString()), Map.of(), null, null)));
    }

    @Test
    void timesOutWhenTheUpstreamStopsReadingTheRequest() throws Exception {
        CountDownLatch testOver = new CountDownLatch(1);
        try (ServerSocket deaf = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> {
                try (Socket accepted = deaf.accept()) {
                    testOver.await(20, TimeUnit.SECONDS);
                } catch (IOException | InterruptedException e) {
                    // the test is over
                }
            });
            // Far more than the two sockets' buffers hold, so the write blocks.
            byte[] body = new byte[64 * 1024 * 1024];
            HttpCall call = new HttpCall("POST", URI.create("http://127.0.0.1:" + deaf.getLocalPort() + "/deaf"),
                    Map.of(), body, "application/octet-stream");

            long started = System.nanoTime();
            assertThrows(SocketTimeoutException.class, () -> http.execute(call));
            assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(10));
        } finally {
            testOver.countDown();
        }
    }

    @Test
    void closingAnUnreadStreamHangsUpOnTheUpstream() throws Exception {
        CountDownLatch upstreamSawHangUp = new CountDownLatch(1);
        upstream.enqueue(new MockResponse.Builder().code(200).addHeader("Content-Type", "text/event-stream")
                .body(new MockResponseBody() {
                    @Override
                    public long getContentLength() {
                        return -1;
                    }

                    @Override
                    public void writeTo(BufferedSink sink) throws IOException {
                        try {
                            // Endless, like a long generation: only the client going away ends it.
                            for (int i = 0; i < 1_000; i++) {
                                sink.writeUtf8("data: {}\n\n").flush();
                                Thread.sleep(10);
                            }
                        } catch (IOException hangUp) {
                            upstreamSawHangUp.countDown();
                            throw hangUp;
                        } catch (InterruptedException e) {
                            throw new IOException(e);
                        }
                    }
                }).build());
        // Generous read timeout: the hang-up must come from closing, not from a timeout.
        http.close();
        http = new OkHttpUpstreamClient(config(5_000, 60_000));

        UpstreamResponse response = http.execute(
                new HttpCall("GET", URI.create(upstream.url("/stream").toString()), Map.of(), null, null));
        assertEquals("data: {}\n\n", new String(response.body().readNBytes(10), StandardCharsets.UTF_8));
        response.close();

        assertTrue(upstreamSawHangUp.await(10, TimeUnit.SECONDS));
    }

    /**
     * A platform thread waiting for more of a silent stream is interrupted (its client hung up): a socket
     * read there does not end at an interrupt, so the client cancels the call; the read fails and the
     * upstream sees its connection end.
     */
    @Test
    void anInterruptedPlatformThreadWaitingOnASilentStreamHasItsCallCancelled() throws Exception {
        http.close();
        http = new OkHttpUpstreamClient(config(5_000, 60_000));
        try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CountDownLatch upstreamSawHangUp = new CountDownLatch(1);
            Thread.ofVirtual().start(() -> {
                try (Socket accepted = silent.accept()) {
                    readHead(accepted.getInputStream());
                    accepted.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                            + "Transfer-Encoding: chunked\r\n\r\na\r\ndata: {}\n\n\r\n").getBytes(StandardCharsets.UTF_8));
                    // Silent from here on, until the client's side closes.
                    if (accepted.getInputStream().read() < 0) {
                        upstreamSawHangUp.countDown();
                    }
                } catch (IOException e) {
                    upstreamSawHangUp.countDown();
                }
            });
            AtomicReference<Throwable> readerSaw = new AtomicReference<>();
            CountDownLatch waiting = new CountDownLatch(1);
            Thread reader = Thread.ofPlatform().start(() -> {
                try (UpstreamResponse response = http.execute(new HttpCall("GET",
                        URI.create("http://127.0.0.1:" + silent.getLocalPort() + "/stream"), Map.of(), null, null))) {
                    response.body().readNBytes(10);
                    waiting.countDown();
                    response.body().read(new byte[64]);
                } catch (Throwable e) {
                    readerSaw.set(e);
                }
            });
            assertTrue(waiting.await(10, TimeUnit.SECONDS));
            // Interrupted only once blocked in the socket read: an interrupt before it would be seen by okio
            // on its own, and the test would pass without the watchdog.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!blockedInSocketRead(reader)) {
                assertTrue(System.nanoTime() < deadline, "the reader never blocked in a socket read");
                Thread.sleep(5);
            }
            long interrupted = System.nanoTime();
            reader.interrupt();

            reader.join(5_000);
            assertFalse(reader.isAlive(), "the read did not end");
            assertTrue(System.nanoTime() - interrupted < TimeUnit.SECONDS.toNanos(1), "the read ended late");
            assertTrue(readerSaw.get() instanceof IOException, String.valueOf(readerSaw.get()));
            assertTrue(upstreamSawHangUp.await(10, TimeUnit.SECONDS), "the upstream connection stayed open");
        }
    }

    private static boolean blockedInSocketRead(Thread thread) {
        for (StackTraceElement frame : thread.getStackTrace()) {
            // A socket that waits with poll, or a channel's socket in a blocking read (ChannelSocketFactory).
            if (frame.getClassName().equals("sun.nio.ch.NioSocketImpl") && frame.getMethodName().equals("park")
                    || frame.getClassName().equals("sun.nio.ch.SocketDispatcher") && frame.getMethodName().equals("read0")) {
                return true;
            }
        }
        return false;
    }

    private static void readHead(InputStream in) throws IOException {
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("no request head");
            }
            matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
        }
    }

    /** The watchdog read a wait's start, then the reader moved on before it acted on what it saw. */
    @Test
    void theWatchdogLeavesAWaitThatEndedOrBeganAfterItLooked() {
        // This client's own watchdog must not end the waits first: a read timeout far beyond the test.
        http.close();
        http = new OkHttpUpstreamClient(config(5_000, 60_000));
        Call call = new OkHttpClient().newCall(new Request.Builder().url(upstream.url("/slow")).build());
        OkHttpUpstreamClient.Watched watched = http.new Watched(call);
        watched.waitStarts();
        long seen = watched.waitingSince;
        watched.waitEnds();
        assertFalse(watched.expire(seen, true), "the wait it saw has ended");

        watched.waitStarts();
        assertFalse(watched.expire(seen, true), "the reader is in a later wait");
        assertFalse(call.isCanceled());
        assertFalse(watched.timedOut);

        assertTrue(watched.expire(watched.waitingSince, true));
        assertTrue(call.isCanceled());
        assertTrue(watched.timedOut);
    }

    static UpstreamClientConfiguration config(long connectTimeoutMs, long readTimeoutMs) {
        return new UpstreamClientConfiguration() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return UpstreamClientConfiguration.class;
            }

            @Override
            public long upstream_connectTimeoutMs() {
                return connectTimeoutMs;
            }

            @Override
            public long upstream_readTimeoutMs() {
                return readTimeoutMs;
            }

            @Override
            public long upstream_spinMicros() {
                return 200; // the default: calls spin for their answers while few wait
            }
        };
    }
}
