package io.rotor.core.engine.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.rotor.api.AccountStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The engine's metrics on Micrometer's Prometheus registry. Labels hold pool names, account ids,
 * upstream names, statuses and outcomes only: never a secret or a user key.
 */
final class GatewayMetrics {

    static final String NONE = "-";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger openStreams = new AtomicInteger();
    private final MultiGauge accountsByStatus;
    private final Map<RequestKey, Counter> requests = new ConcurrentHashMap<>();
    private final Map<String, Timer> latencies = new ConcurrentHashMap<>();

    private record RequestKey(String pool, String account, int status, String outcome) {
    }

    GatewayMetrics() {
        Gauge.builder("rotor.requests.in.flight", inFlight, AtomicInteger::get)
                .description("Client requests being served, streams included").register(registry);
        Gauge.builder("rotor.streams.open", openStreams, AtomicInteger::get)
                .description("Streamed responses being relayed").register(registry);
        accountsByStatus = MultiGauge.builder("rotor.accounts").description("Accounts by pool and status")
                .register(registry);
    }

    void requestStarted() {
        inFlight.incrementAndGet();
    }

    void requestEnded() {
        inFlight.decrementAndGet();
    }

    void streamOpened() {
        openStreams.incrementAndGet();
    }

    void streamClosed() {
        openStreams.decrementAndGet();
    }

    /** The counter an account's requests last went to, kept on the account (see {@link #request(String, LiveAccount, int, String)}). */
    record AccountCounter(String pool, int status, String outcome, Counter counter) {

        boolean counts(String otherPool, int otherStatus, String otherOutcome) {
            return status == otherStatus && pool.equals(otherPool) && outcome.equals(otherOutcome);
        }
    }

    /**
     * One finished client request served by an account. The account keeps the counter its last request went
     * to, almost always the one this request goes to as well: with thousands of accounts, a look-up in the map
     * of all counters would reach memory the processor no longer holds at nearly every request.
     */
    void request(String pool, LiveAccount account, int status, String outcome) {
        AccountCounter last = account.lastCounter;
        if (last == null || !last.counts(pool, status, outcome)) {
            last = new AccountCounter(pool, status, outcome, counter(pool, account.id(), status, outcome));
            account.lastCounter = last;
        }
        last.counter().increment();
    }

    /** One finished client request: which pool and account, the status the client got, and how it came about. */
    void request(String pool, String account, int status, String outcome) {
        counter(pool, account, status, outcome).increment();
    }

    private Counter counter(String pool, String account, int status, String outcome) {
        // Looked up by a plain key first: building a meter id (sorted tags) on every request costs more.
        return requests.computeIfAbsent(new RequestKey(pool, account, status, outcome), key -> Counter.builder("rotor.requests")
                .description("Client requests by pool, account, status and outcome")
                .tags("pool", pool, "account", account, "status", Integer.toString(status), "outcome", outcome)
                .register(registry));
    }

    void upstreamLatency(String upstream, long nanos) {
        latencies.computeIfAbsent(upstream, name -> Timer.builder("rotor.upstream.latency")
                .description("Time until the upstream's response headers arrived")
                .tags("upstream", name).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(2))
                .register(registry)).record(nanos, TimeUnit.NANOSECONDS);
    }

    void retry(String pool) {
        Counter.builder("rotor.retries").description("Attempts on another account after a failed one")
                .tags("pool", pool).register(registry).increment();
    }

    void cooldown(String pool, String reason) {
        Counter.builder("rotor.cooldowns").description("Cooldowns started, by reason (window limit or upstream 429)")
                .tags("pool", pool, "reason", reason).register(registry).increment();
    }

    /** Renders every metric, refreshing the account gauges from the registry first. */
    String scrape(List<LiveAccount> accounts) {
        Map<String, Integer> counts = new TreeMap<>();
        for (LiveAccount live : accounts) {
            AccountStatus status = live.status();
            counts.merge(live.account().pool() + '\u0000' + status.wireName(), 1, Integer::sum);
        }
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        counts.forEach((key, count) -> {
            int split = key.indexOf('\u0000');
            rows.add(MultiGauge.Row.of(Tags.of("pool", key.substring(0, split), "status", key.substring(split + 1)),
                    count));
        });
        accountsByStatus.register(rows, true);
        return registry.scrape();
    }
}
