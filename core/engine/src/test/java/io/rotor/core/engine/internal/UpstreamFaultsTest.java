package io.rotor.core.engine.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rotor.api.Account;
import io.rotor.api.ClientRequest;
import io.rotor.api.ClientResponse;
import io.rotor.api.Endpoint;
import io.rotor.api.ErrorCode;
import io.rotor.api.NewAccount;
import io.rotor.api.RotorException;
import io.rotor.api.UpstreamAdapter;
import io.rotor.api.UpstreamCall;
import io.rotor.api.UpstreamResponse;
import io.rotor.core.engine.internal.crypto.AesGcmSecretCipher;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The retry loop under injected upstream faults: bounded attempts, backoff, cooldowns. */
class UpstreamFaultsTest {

    private static final String KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    private static final String MASTER = "master-key-for-tests";

    @TempDir
    Path dir;

    enum Fault { REFUSED, RESET, HTTP_500, HTTP_502, HTTP_503, TIMEOUT_BEFORE_FIRST_BYTE }

    /** Fails every call with the next fault in turn; counts calls per request thread. */
    static final class FaultyAdapter implements UpstreamAdapter {
        final AtomicInteger calls = new AtomicInteger();
        final ThreadLocal<int[]> callsThisRequest = ThreadLocal.withInitial(() -> new int[1]);
        final Map<String, Integer> statusByKey = new ConcurrentHashMap<>();
        final Map<String, String> retryAfterByKey = new ConcurrentHashMap<>();
        volatile boolean failAll = true;

        @Override
        public UpstreamResponse send(UpstreamCall call) throws IOException {
            int n = calls.getAndIncrement();
            callsThisRequest.get()[0]++;
            String key = call.secrets().get(Account.SECRET_API_KEY);
            Integer scripted = statusByKey.get(key);
            if (scripted != null) {
                Map<String, List<String>> headers = retryAfterByKey.containsKey(key)
                        ? Map.of("Content-Type", List.of("application/json"), "Retry-After",
                                List.of(retryAfterByKey.get(key)))
                        : Map.of("Content-Type", List.of("application/json"));
                return new UpstreamResponse(scripted, headers, body("{\"error\":{}}"), null);
            }
            if (!failAll) {
                return new UpstreamResponse(200, Map.of("Content-Type", List.of("application/json")), body("{}"), null);
            }
            return switch (Fault.values()[n % Fault.values().length]) {
                case REFUSED -> throw new ConnectException("Connection refused");
                case RESET -> throw new SocketException("Connection reset");
                case TIMEOUT_BEFORE_FIRST_BYTE -> throw new SocketTimeoutException("timeout");
                case HTTP_500 -> new UpstreamResponse(500, Map.of(), body("oops"), null);
                case HTTP_502 -> new UpstreamResponse(502, Map.of(), body("bad gateway"), null);
                case HTTP_503 -> new UpstreamResponse(503, Map.of(), body("unavailable"), null);
            };
        }

        @Override
        public String validate(UpstreamCall call) {
            return null;
        }

        private static ByteArrayInputStream body(String text) {
            return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        final AtomicLong millis = new AtomicLong(1_700_000_000_000L);

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.get());
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    private final FaultyAdapter adapter = new FaultyAdapter();

    private RotorGateway gateway(Map<String, String> config, Clock clock) {
        RotorGateway gateway = new RotorGateway(new MemoryAccountStore(), new AesGcmSecretCipher(KEY, dir.resolve(".key")),
                EngineSettings.from(config), clock, MASTER, false);
        gateway.bindAdapter(adapter, Map.of(UpstreamAdapter.TYPE, "openai"));
        return gateway;
    }

    private static String add(RotorGateway gateway, String apiKey) {
        return gateway.addAccount(new NewAccount("openai", null, apiKey, null, Map.of(Account.SECRET_API_KEY, apiKey),
                null, null, null, null, false)).id();
    }

    private static ClientResponse chat(RotorGateway gateway) {
        return gateway.handle(new ClientRequest(Endpoint.CHAT_COMPLETIONS, "Bearer " + MASTER,
                "{\"model\":\"gpt-4o\",\"messages\":[]}".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void underSustainedTotalFailureNoRequestMakesMoreThanRetryMaxPlusOneUpstreamCalls() throws Exception {
        RotorGateway gateway = gateway(Map.of("retry.max", "3", "retry.backoffMs", "4",
                "rateLimit.perAccount", "100000"), Clock.systemUTC());
        for (int i = 0; i < 10; i++) {
            add(gateway, "sk-" + i);
        }
        int threads = 8;
        int perThread = 60;
        AtomicInteger overruns = new AtomicInteger();
        AtomicInteger maxSeen = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            futures.add(pool.submit(() -> {
                for (int i = 0; i < perThread; i++) {
                    adapter.callsThisRequest.get()[0] = 0;
                    RotorException failure = assertThrows(RotorException.class, () -> chat(gateway));
                    assertNotEquals(ErrorCode.INTERNAL, failure.code());
                    int calls = adapter.callsThisRequest.get()[0];
                    maxSeen.accumulateAndGet(calls, Math::max);
                    if (calls > 4) {
                        overruns.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (Future<?> future : futures) {
            future.get();
        }
        pool.shutdown();
        assertEquals(0, overruns.get());
        assertEquals(4, maxSeen.get(), "every request used all its attempts");
        assertEquals(threads * perThread * 4, adapter.calls.get(),
                "each of the six fault kinds is retried, none ends the loop early");
    }

    @Test
    void retriesAfterAFaultWaitAJitteredBackoff() {
        RotorGateway gateway = gateway(Map.of("retry.max", "2", "retry.backoffMs", "100"), Clock.systemUTC());
        add(gateway, "sk-a");
        add(gateway, "sk-b");
        add(gateway, "sk-c");
        long started = System.nanoTime();
        assertThrows(RotorException.class, () -> chat(gateway));
        long elapsedMs = Duration.ofNanos(System.nanoTime() - started).toMillis();
        assertEquals(3, adapter.calls.get());
        // Lower bound only: 25 ms before retry 1 plus 50 ms before retry 2.
        assertTrue(elapsedMs >= 75, "waited " + elapsedMs + " ms");
    }

    @Test
    void aRateLimitMovesOnWithoutBackoff() {
        RotorGateway gateway = gateway(Map.of("retry.max", "1", "retry.backoffMs", "2000",
                "rotation.strategy", "priority"), Clock.systemUTC());
        adapter.failAll = false;
        adapter.statusByKey.put("sk-limited", 429);
        add(gateway, "sk-limited");
        add(gateway, "sk-ok");
        long started = System.nanoTime();
        try (ClientResponse response = chat(gateway)) {
            assertEquals(200, response.status());
        }
        assertTrue(Duration.ofNanos(System.nanoTime() - started).toMillis() < 500, "no 500..2000 ms pause");
    }

    @Test
    void upstream400And413ArePassedBackAndNotRetried() {
        for (int status : new int[] {400, 413}) {
            FaultyAdapter fresh = new FaultyAdapter();
            RotorGateway gateway = new RotorGateway(new MemoryAccountStore(),
                    new AesGcmSecretCipher(KEY, dir.resolve(".key" + status)), EngineSettings.from(Map.of()),
                    Clock.systemUTC(), MASTER, false);
            gateway.bindAdapter(fresh, Map.of(UpstreamAdapter.TYPE, "openai"));
            fresh.statusByKey.put("sk-a", status);
            fresh.statusByKey.put("sk-b", status);
            add(gateway, "sk-a");
            add(gateway, "sk-b");
            try (ClientResponse response = chat(gateway)) {
                assertEquals(status, response.status());
            }
            assertEquals(1, fresh.calls.get(), "HTTP " + status + " is not retried");
        }
    }

    @Test
    void retryAfterSevenKeepsTheAccountOutForAtLeastSevenSeconds() {
        ManualClock clock = new ManualClock();
        RotorGateway gateway = gateway(Map.of("retry.max", "1", "rateLimit.cooldownMs", "1000",
                "rotation.strategy", "priority"), clock);
        adapter.failAll = false;
        adapter.statusByKey.put("sk-first", 429);
        adapter.retryAfterByKey.put("sk-first", "7");
        String first = add(gateway, "sk-first");
        String second = add(gateway, "sk-second");
        try (ClientResponse response = chat(gateway)) {
            assertEquals(second, response.headers().get("X-Rotor-Account"));
        }
        adapter.statusByKey.remove("sk-first");
        int callsBefore = adapter.calls.get();
        clock.millis.addAndGet(6_990);
        try (ClientResponse response = chat(gateway)) {
            assertEquals(second, response.headers().get("X-Rotor-Account"), "still cooling down at 6.99 s");
        }
        assertEquals(callsBefore + 1, adapter.calls.get(), "the cooling account was not even tried");
        clock.millis.addAndGet(20);
        try (ClientResponse response = chat(gateway)) {
            assertEquals(first, response.headers().get("X-Rotor-Account"), "back after 7 s");
        }
    }
}
