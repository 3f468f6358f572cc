package io.rotor.transport.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.internal.connection.ConnectionListener;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** OkHttp's connection pool on the backend that is not woken at each release still closes idle connections. */
@Timeout(30)
class UnhurriedPoolTasksTest {

    private final MockWebServer upstream = new MockWebServer();
    private final UnhurriedPoolTasks backend = new UnhurriedPoolTasks();

    @BeforeEach
    void start() throws IOException {
        upstream.start();
    }

    @AfterEach
    void stop() {
        upstream.close();
    }

    @Test
    void aConnectionIdleLongerThanTheKeepAliveIsClosed() throws Exception {
        ConnectionPool pool = pool(5, 200, TimeUnit.MILLISECONDS);
        OkHttpClient client = new OkHttpClient.Builder().connectionPool(pool).build();
        upstream.enqueue(new MockResponse.Builder().body("one").build());
        upstream.enqueue(new MockResponse.Builder().body("two").build());
        call(client, "one");

        long beforeLastRelease = System.nanoTime();
        call(client, "two");
        assertEquals(1, pool.connectionCount(), "the second call reused the pooled connection");
        await(pool, count -> count == 0);
        long closedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - beforeLastRelease);
        assertEquals(0, pool.connectionCount(), "the idle connection was closed");
        assertTrue(closedAfterMs >= 200, "not before its keep-alive: " + closedAfterMs + " ms");
    }

    /**
     * The pool's task thread is never woken, so a connection released while the clean-up is scheduled far
     * ahead (the other connection's keep-alive) is seen only when the thread looks again on its own: at
     * most a second later. Waiting for the next due task instead would keep it for the full minute.
     */
    @Test
    void aReleaseIsSeenWithinTheLookIntervalThoughNothingWakesTheTaskThread() throws Exception {
        ConnectionPool pool = pool(1, 1, TimeUnit.MINUTES);
        OkHttpClient client = new OkHttpClient.Builder().connectionPool(pool).build();
        for (int i = 0; i < 2; i++) {
            upstream.enqueue(new MockResponse.Builder().body("slow").headersDelay(300, TimeUnit.MILLISECONDS).build());
        }
        CountDownLatch bothSent = new CountDownLatch(2);
        try (ExecutorService callers = Executors.newFixedThreadPool(2)) {
            Future<?> first = callers.submit(() -> callCounting(client, bothSent));
            Future<?> second = callers.submit(() -> callCounting(client, bothSent));
            first.get();
            second.get();
        }
        // Two connections (both calls ran at once), one over the pool's limit of one idle connection.
        long closedAfterMs = await(pool, count -> count <= 1);
        assertEquals(1, pool.connectionCount(), "the connection over the idle limit was closed");
        assertTrue(closedAfterMs < 3_000, "within a look interval, give or take: " + closedAfterMs + " ms");
    }

    private ConnectionPool pool(int maxIdle, long keepAlive, TimeUnit unit) {
        return new ConnectionPool(maxIdle, keepAlive, unit, backend.taskRunner(),
                ConnectionListener.Companion.getNONE());
    }

    /** Waits up to 5 s for the pool's connection count to satisfy {@code done}; returns the milliseconds waited. */
    private static long await(ConnectionPool pool, IntPredicate done) throws InterruptedException {
        long started = System.nanoTime();
        while (!done.test(pool.connectionCount()) && System.nanoTime() - started < TimeUnit.SECONDS.toNanos(5)) {
            Thread.sleep(10);
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    }

    private Void callCounting(OkHttpClient client, CountDownLatch bothSent) throws IOException, InterruptedException {
        bothSent.countDown();
        bothSent.await();
        call(client, "slow");
        return null;
    }

    private void call(OkHttpClient client, String expected) throws IOException {
        try (Response response = client.newCall(new Request.Builder().url(upstream.url("/")).build()).execute()) {
            assertEquals(expected, response.body().string());
        }
    }
}
