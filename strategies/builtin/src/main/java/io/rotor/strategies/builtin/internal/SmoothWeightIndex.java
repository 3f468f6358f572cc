package io.rotor.strategies.builtin.internal;

import io.rotor.api.Candidate;
import io.rotor.api.CandidateSelector;
import io.rotor.api.PickRequest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * nginx's smooth weighted round-robin over one pool's available accounts, as {@link WeightedStrategy}
 * picks from a list, without adding every candidate's weight at every pick: a pick reads one account per
 * distinct weight and moves the one it picks within its group (usually from first to last).
 *
 * <p>Every pick adds each candidate's weight to its running value; so while an account is available
 * its running value is {@code base + weight × picks}, with {@code base} changing only when it is
 * picked (or skipped). Within one weight the order by {@code base} therefore never changes, and the
 * best account is the first of its weight's group: a pick looks at one account per distinct weight.
 * An account that becomes unavailable keeps its running value (its debt), as nginx keeps a down
 * peer's; one away for more than {@link #FORGET_AFTER_PICKS} picks starts afresh.
 *
 * <p>Accounts of weight 0 are never picked while an account of positive weight is available; when
 * none is, they all count as weight 1 and take their own turns, counted apart ({@code zeroPicks}).
 */
final class SmoothWeightIndex implements CandidateSelector {

    static final long FORGET_AFTER_PICKS = 4096;
    /** Bounds {@code weight × picks}: weights are ints, so values stay far from overflowing. */
    private static final long REBASE_AFTER_PICKS = 1L << 30;

    private static final class Entry {
        final String id;
        long order;
        int weight;
        long base;

        Entry(String id, long order, int weight) {
            this.id = id;
            this.order = order;
            this.weight = weight;
        }
    }

    /** A running value kept for an unavailable account, and when it left. */
    private record Away(long current, long since) {
    }

    /** Highest running value first; among equals the lowest order, as a scan of the list in order finds. */
    private static final Comparator<Entry> BEST_FIRST = Comparator.comparingLong((Entry e) -> -e.base)
            .thenComparingLong(e -> e.order).thenComparing(e -> e.id);

    private final Map<String, Entry> present = new HashMap<>();
    private final TreeMap<Integer, SortedRing<Entry>> byWeight = new TreeMap<>();
    private final Map<String, Away> away = new HashMap<>();
    private long positiveWeights;
    private int positiveCount;
    private int zeroCount;
    private long weightedPicks;
    private long zeroPicks;
    private long picks;

    /** Makes every account unavailable, keeping its running value: a new selector starts empty. */
    synchronized SmoothWeightIndex restart() {
        for (String id : List.copyOf(present.keySet())) {
            remove(id);
        }
        return this;
    }

    @Override
    public synchronized void put(Candidate candidate) {
        int weight = Math.max(0, candidate.weight());
        Entry entry = present.get(candidate.id());
        if (entry != null) {
            if (entry.weight == weight && entry.order == candidate.order()) {
                return;
            }
            long current = current(entry);
            detach(entry);
            entry.weight = weight;
            entry.order = candidate.order();
            entry.base = current - scale(weight);
            attach(entry);
            return;
        }
        Away gone = away.remove(candidate.id());
        long current = gone != null && picks - gone.since() <= FORGET_AFTER_PICKS ? gone.current() : 0;
        entry = new Entry(candidate.id(), candidate.order(), weight);
        entry.base = current - scale(weight);
        present.put(entry.id, entry);
        attach(entry);
    }

    @Override
    public synchronized void remove(String id) {
        Entry entry = present.remove(id);
        if (entry != null) {
            detach(entry);
            away.put(id, new Away(current(entry), picks));
        }
    }

    @Override
    public boolean followsCounters() {
        return false; // the weight and order only
    }

    @Override
    public synchronized String pick(PickRequest request, Set<String> excluded) {
        List<Entry> skipped = new ArrayList<>(0);
        long skippedWeights = 0;
        int skippedPositive = 0;
        int skippedZero = 0;
        for (String id : excluded) {
            Entry entry = present.get(id);
            if (entry != null) {
                skipped.add(entry);
                if (entry.weight > 0) {
                    skippedWeights += entry.weight;
                    skippedPositive++;
                } else {
                    skippedZero++;
                }
            }
        }
        boolean allZero = positiveCount - skippedPositive == 0;
        Entry best = null;
        long bestValue = 0;
        long total;
        if (!allZero) {
            for (Map.Entry<Integer, SortedRing<Entry>> group : byWeight.tailMap(1, true).entrySet()) {
                Entry first = firstNotExcluded(group.getValue(), excluded);
                if (first == null) {
                    continue;
                }
                long value = first.base + first.weight * (weightedPicks + 1);
                if (best == null || value > bestValue || value == bestValue && first.order < best.order) {
                    best = first;
                    bestValue = value;
                }
            }
            total = positiveWeights - skippedWeights;
        } else {
            SortedRing<Entry> zeros = byWeight.get(0);
            best = zeros == null ? null : firstNotExcluded(zeros, excluded);
            total = zeroCount - skippedZero;
        }
        if (best == null) {
            return null;
        }
        lower(best, total);
        // Accounts skipped by this pick get no share of it, as if they had been away.
        for (Entry entry : skipped) {
            if (allZero == (entry.weight == 0)) {
                lower(entry, allZero ? 1 : entry.weight);
            }
        }
        if (allZero) {
            zeroPicks++;
        } else {
            weightedPicks++;
        }
        picks++;
        if (picks % FORGET_AFTER_PICKS == 0) {
            away.values().removeIf(gone -> picks - gone.since() > FORGET_AFTER_PICKS);
        }
        if (weightedPicks >= REBASE_AFTER_PICKS || zeroPicks >= REBASE_AFTER_PICKS) {
            rebase();
        }
        return best.id;
    }

    private static Entry firstNotExcluded(SortedRing<Entry> group, Set<String> excluded) {
        for (Entry entry : group) {
            if (!excluded.contains(entry.id)) {
                return entry;
            }
        }
        return null;
    }

    private long current(Entry entry) {
        return entry.base + scale(entry.weight);
    }

    private long scale(int weight) {
        return weight > 0 ? weight * weightedPicks : zeroPicks;
    }

    private void attach(Entry entry) {
        byWeight.computeIfAbsent(entry.weight, w -> new SortedRing<>(BEST_FIRST)).add(entry);
        if (entry.weight > 0) {
            positiveWeights += entry.weight;
            positiveCount++;
        } else {
            zeroCount++;
        }
    }

    /** Moves an account down its group, which it stays in: a picked one goes from the first place to (nearly always) the last. */
    private void lower(Entry entry, long by) {
        SortedRing<Entry> group = byWeight.get(entry.weight);
        group.remove(entry);
        entry.base -= by;
        group.add(entry);
    }

    private void detach(Entry entry) {
        SortedRing<Entry> group = byWeight.get(entry.weight);
        group.remove(entry);
        if (group.isEmpty()) {
            byWeight.remove(entry.weight);
        }
        if (entry.weight > 0) {
            positiveWeights -= entry.weight;
            positiveCount--;
        } else {
            zeroCount--;
        }
    }

    /** Folds the pick counts into the bases; a shift by the same amount per weight keeps every group's order. */
    private void rebase() {
        for (Entry entry : present.values()) {
            entry.base += scale(entry.weight);
        }
        weightedPicks = 0;
        zeroPicks = 0;
    }
}
