package io.rotor.strategies.builtin.internal;

import io.rotor.api.Candidate;
import java.util.List;
import java.util.NavigableMap;
import java.util.Set;

/**
 * A position in a pool's circular order: remembers the account served last and moves on to
 * the first candidate whose {@link Candidate#order()} is greater, wrapping around to the lowest.
 *
 * <p>Because it remembers an order rather than an index, the rotation carries on correctly
 * when accounts drop out of the candidate list and come back. Every method is atomic, so
 * concurrent picks over the same candidates are served in strict turn.
 */
final class CircularCursor {

    private long lastOrder = Long.MIN_VALUE;
    private String lastId;

    /** Moves on to the candidate after the last one served and returns its id, null if none. */
    synchronized String advance(List<Candidate> candidates) {
        Candidate next = nextAfter(lastOrder, candidates);
        if (next == null) {
            return null;
        }
        lastOrder = next.order();
        lastId = next.id();
        return lastId;
    }

    /** Returns the last account served if it is still a candidate, or else advances. */
    synchronized String stayOrAdvance(List<Candidate> candidates) {
        // Matched by id: an order may be renumbered when the pool changes, an id never is.
        for (Candidate candidate : candidates) {
            if (candidate.id().equals(lastId)) {
                return lastId;
            }
        }
        return advance(candidates);
    }

    /** {@link #advance(List)} over candidates sorted by order, skipping the excluded ones. */
    synchronized String advance(NavigableMap<Long, Candidate> candidates, Set<String> excluded) {
        Candidate next = OrderedBuckets.nextAfter(lastOrder, candidates, excluded);
        if (next == null) {
            return null;
        }
        lastOrder = next.order();
        lastId = next.id();
        return lastId;
    }

    /** {@link #advance(List)} over candidates kept with their usage, the lowest first: least-used's pick. */
    synchronized String advance(LowestKeyIndex candidates, Set<String> excluded) {
        LowestKeyIndex.Slot next = candidates.pick(lastOrder, excluded);
        if (next == null) {
            return null;
        }
        lastOrder = next.order();
        lastId = next.id();
        return lastId;
    }

    /** {@link #stayOrAdvance(List)} over candidates sorted by order, skipping the excluded ones. */
    synchronized String stayOrAdvance(OrderedBuckets candidates, Set<String> excluded) {
        if (lastId != null && candidates.contains(lastId) && !excluded.contains(lastId)) {
            return lastId;
        }
        return advance(candidates.only(), excluded);
    }

    /**
     * The candidate with the lowest order greater than {@code lastOrder}, or the one with the
     * lowest order when none is greater; null for no candidates. Does not rely on the list
     * being sorted.
     */
    static Candidate nextAfter(long lastOrder, List<Candidate> candidates) {
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
