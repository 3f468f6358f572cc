package io.rotor.transport.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
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
        backend.shutdown();
        upstream.close();
    }

    @Test
    void aConnectionIdleLongerThanTheKeepAliveIsClosedWithinASecondOrSoOfBeingDue() throws Exception {
        ConnectionPool pool = pool(200, TimeUnit.MILLISECONDS);
        OkHttpClient client = new OkHttpClient.Builder().connectionPool(pool).build();
        upstream.enqueue(new MockResponse.Builder().body("one").build());
        upstream.enqueue(new MockResponse.Builder().body("two").build());

        call(client, "one");
        call(client, "two");
        assertEquals(1, pool.connectionCount(), "the second call reused the pooled connection");

        long released = System.nanoTime();
        while (pool.connectionCount() > 0 && System.nanoTime() - released < TimeUnit.SECONDS.toNanos(5)) {
            Thread.sleep(20);
        }
        long closedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - released);
        assertEquals(0, pool.connectionCount(), "the idle connection was closed");
        assertTrue(closedAfterMs >= 150, "not before its keep-alive: " + closedAfterMs + " ms");
        assertTrue(closedAfterMs < 200 + 1_000 + 1_000, "at most a look interval late, give or take: " + closedAfterMs
                + " ms");
    }

    @Test
    void theTaskThreadEndsWhenTheBackendShutsDown() throws Exception {
        OkHttpClient client = new OkHttpClient.Builder().connectionPool(pool(1, TimeUnit.MINUTES)).build();
        upstream.enqueue(new MockResponse.Builder().body("one").build());
        call(client, "one");
        awaitTaskThreads(true);
        assertEquals(1, taskThreads(), "the clean-up waits for the connection's keep-alive on its thread");

        backend.shutdown();
        awaitTaskThreads(false);
        assertEquals(0, taskThreads(), "interrupted, the thread left OkHttp's task loop instead of spinning in it");
    }

    private ConnectionPool pool(long keepAlive, TimeUnit unit) {
        return new ConnectionPool(5, keepAlive, unit, UnhurriedPoolTasks.taskRunner(backend),
                ConnectionListener.Companion.getNONE());
    }

    private void awaitTaskThreads(boolean running) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while ((taskThreads() > 0) != running && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    private int taskThreads() {
        return backend.threadsAlive();
    }

    private void call(OkHttpClient client, String expected) throws IOException {
        try (Response response = client.newCall(new Request.Builder().url(upstream.url("/")).build()).execute()) {
            assertEquals(expected, response.body().string());
        }
    }
}
