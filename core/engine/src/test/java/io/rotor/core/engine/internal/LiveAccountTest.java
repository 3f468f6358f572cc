package io.rotor.core.engine.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rotor.api.Account;
import io.rotor.api.AccountStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LiveAccountTest {

    private static final PoolPolicy POLICY = new PoolPolicy("default", "round-robin", 3, 60_000, 30_000, 3);

    static Account account(String id, int maxConcurrent) {
        return new Account(id, "openai", null, id, AccountStatus.ACTIVE, null, 1, 1, null, maxConcurrent, null, null,
                null, null, null, null, null);
    }

    @Test
    void reachingTheWindowLimitStartsACooldownAfterWhichTheCounterResets() {
        LiveAccount live = new LiveAccount(account("a", 0), 0);
        long now = 1_000_000;
        assertTrue(live.tryAcquire(now, POLICY));
        assertTrue(live.tryAcquire(now + 1, POLICY));
        assertTrue(live.tryAcquire(now + 2, POLICY), "the request that reaches the limit is served");
        assertEquals(AccountStatus.RATE_LIMITED, live.status());
        assertFalse(live.tryAcquire(now + 3, POLICY));
        assertEquals(30_000 - 1, live.millisUntilAvailable(now + 3, POLICY));
        assertTrue(live.tryAcquire(now + 2 + 30_000, POLICY), "cooldown over");
        assertEquals(AccountStatus.ACTIVE, live.status());
        assertEquals(1, live.snapshot().rateLimit().requestsThisWindow(), "the counter was reset");
    }

    @Test
    void aWindowThatEndsResetsTheCountWithoutACooldown() {
        LiveAccount live = new LiveAccount(account("a", 0), 0);
        assertTrue(live.tryAcquire(0 + 5, POLICY));
        assertTrue(live.tryAcquire(6, POLICY));
        assertTrue(live.tryAcquire(5 + 60_000, POLICY));
        assertEquals(AccountStatus.ACTIVE, live.status());
        assertEquals(1, live.snapshot().rateLimit().requestsThisWindow());
    }

    @Test
    void aLaterLongerCooldownExtendsAndAShorterOneNeverShortens() {
        LiveAccount live = new LiveAccount(account("a", 0), 0);
        live.coolDown(10_000, "429");
        live.coolDown(5_000, "429");
        assertEquals(10_000 - 1_000, live.millisUntilAvailable(1_000, POLICY));
        live.coolDown(20_000, "429");
        assertEquals(20_000 - 1_000, live.millisUntilAvailable(1_000, POLICY));
        assertEquals(3, live.snapshot().stats().rateLimitHits());
    }

    @Test
    void invalidAccountsNeverFreeUpAndBusyOnesSuggestAShortWait() {
        LiveAccount invalid = new LiveAccount(account("a", 0), 0);
        invalid.invalidate("401");
        assertEquals(LiveAccount.NEVER, invalid.millisUntilAvailable(0, POLICY));
        LiveAccount busy = new LiveAccount(account("b", 1), 1);
        assertTrue(busy.tryAcquire(0, new PoolPolicy("p", "x", 0, 60_000, 1, 0)));
        assertFalse(busy.isAvailable(1, new PoolPolicy("p", "x", 0, 60_000, 1, 0)));
        assertEquals(LiveAccount.BUSY_RETRY_MS, busy.millisUntilAvailable(1, new PoolPolicy("p", "x", 0, 60_000, 1, 0)));
        busy.release(true);
        assertTrue(busy.isAvailable(2, new PoolPolicy("p", "x", 0, 60_000, 1, 0)));
    }

    @Test
    void concurrentAcquiresNeverOverrunTheLimitOrTheConcurrencyCap() throws Exception {
        PoolPolicy unlimitedWindow = new PoolPolicy("p", "x", 100, 60_000, 30_000, 0);
        LiveAccount live = new LiveAccount(account("a", 0), 0);
        AtomicInteger admitted = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 1_000; i++) {
                    if (live.tryAcquire(1_000, unlimitedWindow)) {
                        admitted.incrementAndGet();
                    }
                }
            }));
        }
        start.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(100, admitted.get());
    }

    @Test
    void drainingReportsChangesOnceAndStatusOnlyWhenTheEngineChangedIt() {
        LiveAccount live = new LiveAccount(account("a", 0), 0);
        assertNull(live.drainRuntime());
        live.tryAcquire(1, POLICY);
        live.release(true);
        var runtime = live.drainRuntime();
        assertEquals(1, runtime.stats().successfulRequests());
        assertNull(runtime.status());
        assertNull(live.drainRuntime());
        live.invalidate("credential rejected");
        assertEquals(AccountStatus.INVALID, live.drainRuntime().status());
    }

    @Test
    void latencyIsUnknownUntilACallIsTimedThenAMovingAverage() {
        LiveAccount live = new LiveAccount(account("a", 0), 0);
        org.junit.jupiter.api.Assertions.assertTrue(Double.isNaN(live.candidate().latencyMs()));

        live.recordLatency(100_000_000L);
        live.recordLatency(200_000_000L);

        // 100 ms, then 100 + 0.3 × (200 − 100)
        org.junit.jupiter.api.Assertions.assertEquals(130.0, live.candidate().latencyMs(), 1e-9);
    }

    @Test
    void aReloadThatBringsOnlyNewCountersKeepsTheRecordInHandAndAnEditReplacesIt() {
        LiveAccount live = new LiveAccount(account("a", 0), 0);
        Account held = live.account();
        live.tryAcquire(1, POLICY);
        live.release(true);
        Account flushed = live.snapshot(); // what the store holds after a statistics flush
        assertEquals(1, flushed.stats().totalRequests());

        assertFalse(live.refresh(flushed));
        assertSame(held, live.account(), "same definition: the record in hand is kept");
        assertEquals(1, live.snapshot().stats().totalRequests(), "the live counters are what counts");

        Account edited = new Account("a", "openai", null, "renamed", AccountStatus.ACTIVE, null, 1, 1, null, 0, null,
                null, null, null, null, flushed.stats(), flushed.rateLimit());
        live.refresh(edited);
        assertSame(edited, live.account(), "an edit is adopted");
        assertEquals("renamed", live.snapshot().name());

        Account rotated = edited.withSecrets(java.util.Map.of(Account.SECRET_API_KEY, "new-ciphertext"), "key-2");
        live.refresh(rotated.withRuntime(flushed.stats(), flushed.rateLimit(), null));
        assertEquals("key-2", live.account().encryptionKeyId(), "new ciphertexts alone are adopted");
        assertEquals("new-ciphertext", live.account().secrets().get(Account.SECRET_API_KEY));

        assertTrue(live.refresh(live.account().withStatus(AccountStatus.INACTIVE, "paused")));
        assertEquals(AccountStatus.INACTIVE, live.account().status(), "a status alone is adopted");
        assertEquals(AccountStatus.INACTIVE, live.status());
    }
}
