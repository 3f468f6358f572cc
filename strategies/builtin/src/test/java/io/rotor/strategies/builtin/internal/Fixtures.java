package io.rotor.strategies.builtin.internal;

import io.rotor.api.AccountStatus;
import io.rotor.api.Candidate;
import io.rotor.api.PickRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/** Candidates, requests and a concurrent picker shared by the strategy tests. */
final class Fixtures {

    static final PickRequest POOL = new PickRequest("gpt-4o", "alice", "default", 0);
    static final PickRequest OTHER_POOL = new PickRequest("gpt-4o", "alice", "other", 0);

    private Fixtures() {
    }

    /** An idle active account whose order is its position in the alphabet (a = 0). */
    static Candidate account(String id) {
        return new Candidate(id, "openai", 0, 1, List.of(), AccountStatus.ACTIVE, 0, 0, 0, 0, 0,
                id.charAt(0) - 'a');
    }

    static List<Candidate> accounts(String... ids) {
        return List.of(ids).stream().map(Fixtures::account).toList();
    }

    static Candidate withPriority(Candidate c, int priority) {
        return new Candidate(c.id(), c.upstream(), priority, c.weight(), c.tags(), c.status(),
                c.requestsThisWindow(), c.totalRequests(), c.lastUsed(), c.inFlight(), c.maxConcurrent(),
                c.order());
    }

    static Candidate withWeight(Candidate c, int weight) {
        return new Candidate(c.id(), c.upstream(), c.priority(), weight, c.tags(), c.status(),
                c.requestsThisWindow(), c.totalRequests(), c.lastUsed(), c.inFlight(), c.maxConcurrent(),
                c.order());
    }

    static Candidate withUsage(Candidate c, int requestsThisWindow, int inFlight) {
        return new Candidate(c.id(), c.upstream(), c.priority(), c.weight(), c.tags(), c.status(),
                requestsThisWindow, c.totalRequests(), c.lastUsed(), inFlight, c.maxConcurrent(), c.order());
    }

    /** Calls {@code pick} {@code times} times in sequence and returns the ids joined by spaces. */
    static String sequence(int times, Supplier<String> pick) {
        List<String> picked = new ArrayList<>();
        for (int i = 0; i < times; i++) {
            picked.add(pick.get());
        }
        return String.join(" ", picked);
    }

    /**
     * Runs {@code pick} from {@code threads} threads released together, {@code picksPerThread}
     * times each, and counts how often each id came back.
     */
    static Map<String, Long> pickConcurrently(int threads, int picksPerThread, Supplier<String> pick)
            throws Exception {
        Map<String, LongAdder> counts = new ConcurrentHashMap<>();
        CountDownLatch start = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < picksPerThread; i++) {
                        counts.computeIfAbsent(pick.get(), id -> new LongAdder()).increment();
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> future : done) {
                future.get();
            }
        }
        Map<String, Long> totals = new TreeMap<>();
        counts.forEach((id, count) -> totals.put(id, count.sum()));
        return totals;
    }
}
