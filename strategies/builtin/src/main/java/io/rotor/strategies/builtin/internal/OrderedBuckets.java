package io.rotor.strategies.builtin.internal;

import io.rotor.api.Candidate;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.ToLongFunction;

/**
 * A pool's available candidates grouped by a key (one group for all, or by priority),
 * each group sorted by {@link Candidate#order()}: what the circular strategies need to find the
 * lowest group and the next account in it in O(log n) instead of scanning every candidate. Used by
 * one thread at a time (the engine's pool lock).
 */
final class OrderedBuckets {

    private final ToLongFunction<Candidate> key;
    private final Map<String, Candidate> byId = new HashMap<>();
    private final TreeMap<Long, TreeMap<Long, Candidate>> buckets = new TreeMap<>();

    OrderedBuckets(ToLongFunction<Candidate> key) {
        this.key = key;
    }

    void put(Candidate candidate) {
        Candidate old = byId.get(candidate.id());
        if (old != null) {
            if (old.order() == candidate.order() && key.applyAsLong(old) == key.applyAsLong(candidate)) {
                // Most puts only bring counters that do not move the account: the old copy serves as well (ids,
                // orders and keys are all that is read), so nothing is written and no tree is walked. Keeping
                // it, rather than storing each new copy, also keeps the copies of thousands of accounts where
                // they were made, side by side in the pool's order, instead of scattered over the heap.
                return;
            }
            detach(old);
        }
        byId.put(candidate.id(), candidate);
        buckets.computeIfAbsent(key.applyAsLong(candidate), k -> new TreeMap<>()).put(candidate.order(), candidate);
    }

    void remove(String id) {
        Candidate old = byId.remove(id);
        if (old != null) {
            detach(old);
        }
    }

    boolean contains(String id) {
        return byId.containsKey(id);
    }

    /** The groups from the lowest key up. */
    Iterable<Map.Entry<Long, TreeMap<Long, Candidate>>> groups() {
        return buckets.entrySet();
    }

    /** All candidates in one group, for selectors that keep a single group. */
    NavigableMap<Long, Candidate> only() {
        return buckets.isEmpty() ? new TreeMap<>() : buckets.firstEntry().getValue();
    }

    private void detach(Candidate old) {
        long oldKey = key.applyAsLong(old);
        TreeMap<Long, Candidate> bucket = buckets.get(oldKey);
        if (bucket != null) {
            bucket.remove(old.order());
            if (bucket.isEmpty()) {
                buckets.remove(oldKey);
            }
        }
    }

    /**
     * The candidate with the lowest order greater than {@code lastOrder} that is not excluded, or
     * else the lowest-ordered one not excluded: {@link CircularCursor#nextAfter} over a sorted group.
     */
    static Candidate nextAfter(long lastOrder, NavigableMap<Long, Candidate> group, Set<String> excluded) {
        for (Candidate candidate : group.tailMap(lastOrder, false).values()) {
            if (!excluded.contains(candidate.id())) {
                return candidate;
            }
        }
        for (Candidate candidate : group.headMap(lastOrder, true).values()) {
            if (!excluded.contains(candidate.id())) {
                return candidate;
            }
        }
        return null;
    }
}
