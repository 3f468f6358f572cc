package io.rotor.plugins.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class SharedTokensTest {

    private record Token(String value, long expiresAt) {
    }

    private final AtomicLong now = new AtomicLong(1_000);
    private final SharedTokens<Token> tokens = new SharedTokens<>(token -> now.get() < token.expiresAt());

    @Test
    void concurrentCallersForOneKeyShareOneLoad() throws Exception {
        AtomicInteger loads = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        int callers = 16;
        CountDownLatch allStarted = new CountDownLatch(callers);
        List<Future<Token>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < callers; i++) {
                results.add(pool.submit(() -> {
                    allStarted.countDown();
                    return tokens.get("account", () -> {
                        loads.incrementAndGet();
                        try {
                            release.await(10, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            throw new IOException(e);
                        }
                        return new Token("t1", 5_000);
                    });
                }));
            }
            allStarted.await();
            // Give every caller time to reach the cache while the one load is in flight; a late caller
            // finds the loaded token cached, so the count below holds however the threads are scheduled.
            Thread.sleep(100);
            release.countDown();
            for (Future<Token> result : results) {
                assertEquals("t1", result.get().value());
            }
        }
        assertEquals(1, loads.get());
    }

    @Test
    void aCachedValueIsReusedUntilItIsNoLongerUsable() throws Exception {
        AtomicInteger loads = new AtomicInteger();
        SharedTokens.Loader<Token> loader = () -> new Token("t" + loads.incrementAndGet(), now.get() + 1_000);

        assertEquals("t1", tokens.get("a", loader).value());
        now.addAndGet(999);
        assertEquals("t1", tokens.get("a", loader).value());
        now.addAndGet(1);
        assertEquals("t2", tokens.get("a", loader).value());
        assertEquals(2, loads.get());
    }

    @Test
    void keysAreIndependent() throws Exception {
        assertEquals("a", tokens.get("a", () -> new Token("a", 9_999)).value());
        assertEquals("b", tokens.get("b", () -> new Token("b", 9_999)).value());
        assertEquals("a", tokens.get("a", () -> new Token("other", 9_999)).value());
    }

    @Test
    void aFailedLoadIsNotCachedAndTheNextCallerLoadsAgain() throws Exception {
        UpstreamRefusal refused = new UpstreamRefusal(401, "refused");
        assertSame(refused, assertThrows(UpstreamRefusal.class, () -> tokens.get("a", () -> {
            throw refused;
        })));
        assertThrows(IOException.class, () -> tokens.get("a", () -> {
            throw new IOException("down");
        }));
        assertEquals("t", tokens.get("a", () -> new Token("t", 9_999)).value());
    }

    @Test
    void invalidatingDropsOnlyTheStaleValue() throws Exception {
        Token first = tokens.get("a", () -> new Token("first", 9_999));
        tokens.invalidate("a", first);
        assertNull(tokens.peek("a"));
        Token second = tokens.get("a", () -> new Token("second", 9_999));

        // A caller still holding the first token must not throw away the second one.
        tokens.invalidate("a", first);
        assertSame(second, tokens.peek("a"));
    }

    @Test
    void aPutValueIsServedWithoutLoading() throws Exception {
        tokens.put("a", new Token("validated", 9_999));
        assertEquals("validated", tokens.get("a", () -> {
            throw new AssertionError("must not load");
        }).value());
    }
}
