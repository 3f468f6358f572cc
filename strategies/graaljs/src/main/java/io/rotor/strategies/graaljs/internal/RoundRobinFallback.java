package io.rotor.strategies.graaljs.internal;

import io.rotor.api.Candidate;
import io.rotor.api.PickRequest;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a pick falls back to when its script fails: {@code round-robin}'s rule, the candidate
 * whose {@link Candidate#order()} follows the last one served in the pool, wrapping around. The
 * built-in strategy's classes are private to its bundle, and the rule is a few lines.
 */
final class RoundRobinFallback {

    private final ConcurrentMap<String, AtomicLong> lastOrderByPool = new ConcurrentHashMap<>();

    /** Returns the id of the next candidate in circular order; candidates is never empty. */
    String pick(List<Candidate> candidates, PickRequest request) {
        AtomicLong lastOrder = lastOrderByPool.computeIfAbsent(Objects.requireNonNullElse(request.pool(), ""),
                pool -> new AtomicLong(Long.MIN_VALUE));
        while (true) {
            long last = lastOrder.get();
            Candidate next = nextAfter(last, candidates);
            if (lastOrder.compareAndSet(last, next.order())) {
                return next.id();
            }
        }
    }

    private static Candidate nextAfter(long lastOrder, List<Candidate> candidates) {
        Candidate next = null;
        Candidate first = null;
        for (Candidate candidate : candidates) {
            long order = candidate.order();
            if (order > lastOrder && (next == null || order < next.order())) {
                next = candidate;
            }
            if (first == null || order < first.order()) {
                first = candidate;
            }
        }
        return next != null ? next : first;
    }
}
