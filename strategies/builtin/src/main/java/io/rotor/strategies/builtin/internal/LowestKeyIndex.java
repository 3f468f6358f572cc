package io.rotor.strategies.builtin.internal;

import io.rotor.api.Candidate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToLongFunction;

/**
 * A pool's available candidates, each with a key, for strategies that pick the lowest key and, among
 * the accounts tied on it, the next in the pool's order after the last one picked ({@code least-used},
 * whose key changes at every request of the account).
 *
 * <p>Each account known to the index has a position, its rank by {@link Candidate#order()}, and a
 * tree of minimums over the positions holds the keys: a change of key writes one leaf and the
 * minimums above it, a pick walks down from the root to the first position after the last pick
 * holding the lowest key. Nothing is allocated for either, and the arrays sit in a few contiguous
 * blocks; a tree of nodes spread over the heap (one node per account per key, moved at each request)
 * made every request read memory the processor's cache no longer held once a pool had thousands of
 * accounts. An account that stops being available keeps its position (its leaf holds no key), so it
 * comes back without moving others; positions are assigned again only when an account the index
 * has not seen arrives with an order below the highest (the engine numbers new accounts upwards, so
 * this is rare) or when most known accounts have long been gone. Used by one thread at a time (the
 * engine's pool lock).
 */
final class LowestKeyIndex {

    /** The key of a position whose account is not available. */
    private static final long ABSENT = Long.MAX_VALUE;
    private static final Comparator<Slot> BY_ORDER = Comparator.comparingLong((Slot slot) -> slot.order)
            .thenComparing(slot -> slot.id);

    /** A known account: its id, order, key ({@link #ABSENT} while unavailable) and position. */
    static final class Slot {
        private final String id;
        private long order;
        private long key = ABSENT;
        private int position = -1;

        private Slot(String id, long order) {
            this.id = id;
            this.order = order;
        }

        String id() {
            return id;
        }

        long order() {
            return order;
        }
    }

    private final ToLongFunction<Candidate> keyOf;
    private final Map<String, Slot> slots = new HashMap<>();
    /** The known accounts by position, and their orders, ascending. */
    private Slot[] byPosition = new Slot[1];
    private long[] orders = new long[1];
    private int size;
    /**
     * A binary tree of minimums in an array: the leaf of position {@code p} at {@code capacity + p},
     * node {@code i}'s children at {@code 2i} and {@code 2i + 1}, the minimum of all at 1.
     */
    private long[] tree = {ABSENT, ABSENT};
    private int capacity = 1;
    /** Positions no longer follow the orders (an account arrived out of order): assigned again before use. */
    private boolean reposition;
    private int absent;

    LowestKeyIndex(ToLongFunction<Candidate> keyOf) {
        this.keyOf = keyOf;
    }

    void put(Candidate candidate) {
        long key = keyOf.applyAsLong(candidate);
        if (key == ABSENT) {
            throw new IllegalArgumentException("key " + key + " is reserved");
        }
        Slot slot = slots.get(candidate.id());
        if (slot == null) {
            slot = new Slot(candidate.id(), candidate.order());
            slots.put(slot.id, slot);
            slot.key = key;
            if (!reposition && (size == 0 || candidate.order() > orders[size - 1])) {
                append(slot);
            } else {
                reposition = true;
            }
            return;
        }
        if (slot.key == ABSENT) {
            absent--;
        }
        slot.key = key;
        if (slot.order != candidate.order()) {
            slot.order = candidate.order();
            reposition = true;
        }
        if (!reposition) {
            set(slot.position, key);
        }
    }

    void remove(String id) {
        Slot slot = slots.get(id);
        if (slot == null || slot.key == ABSENT) {
            return;
        }
        slot.key = ABSENT;
        absent++;
        if (!reposition) {
            set(slot.position, ABSENT);
        }
        // Accounts deleted for good would otherwise stay known forever; forgetting is cheap only when rare.
        if (absent > 4 * (slots.size() - absent) + 1024) {
            slots.values().removeIf(known -> known.key == ABSENT);
            absent = 0;
            reposition = true;
        }
    }

    /**
     * The account with the lowest key, not excluded; among those tied on it, the first whose order is
     * greater than {@code lastOrder}, or else the first: null if none.
     */
    Slot pick(long lastOrder, Set<String> excluded) {
        if (reposition) {
            reposition();
        }
        int hidden = 0;
        int[] hiddenPositions = null;
        try {
            while (tree[1] != ABSENT) {
                long lowest = tree[1];
                int position = firstAtMost(firstAfter(lastOrder), lowest);
                if (position < 0) {
                    position = firstAtMost(0, lowest);
                }
                Slot slot = byPosition[position];
                if (!excluded.contains(slot.id)) {
                    return slot;
                }
                // Out of the tree for this pick only: the next lowest key is then at the root.
                if (hiddenPositions == null) {
                    hiddenPositions = new int[Math.min(excluded.size(), size)];
                }
                hiddenPositions[hidden++] = position;
                set(position, ABSENT);
            }
            return null;
        } finally {
            for (int i = 0; i < hidden; i++) {
                set(hiddenPositions[i], byPosition[hiddenPositions[i]].key);
            }
        }
    }

    /** How many accounts the index knows: available ones and those gone but not yet forgotten. */
    int known() {
        return slots.size();
    }

    /** The first position whose order is greater than {@code order}; {@code size} if none. */
    private int firstAfter(long order) {
        int low = 0;
        int high = size;
        while (low < high) {
            int middle = (low + high) >>> 1;
            if (orders[middle] > order) {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        return low;
    }

    /** The first position from {@code from} on whose key is at most {@code bound}; -1 if none. */
    private int firstAtMost(int from, long bound) {
        if (from >= size) {
            return -1;
        }
        int node = capacity + from;
        while (tree[node] > bound) {
            // Up while this node is a right child (its parent's positions after it are all covered), then right.
            while ((node & 1) == 1) {
                node >>= 1;
            }
            if (node == 0) {
                return -1;
            }
            node++;
        }
        while (node < capacity) {
            node <<= 1;
            if (tree[node] > bound) {
                node++;
            }
        }
        return node - capacity;
    }

    private void set(int position, long key) {
        int node = capacity + position;
        tree[node] = key;
        for (node >>= 1; node >= 1; node >>= 1) {
            long lowest = Math.min(tree[2 * node], tree[2 * node + 1]);
            if (tree[node] == lowest) {
                break;
            }
            tree[node] = lowest;
        }
    }

    private void append(Slot slot) {
        if (size == capacity) {
            grow(2 * capacity);
        }
        slot.position = size;
        byPosition[size] = slot;
        orders[size] = slot.order;
        size++;
        set(slot.position, slot.key);
    }

    private void reposition() {
        List<Slot> known = new ArrayList<>(slots.values());
        known.sort(BY_ORDER);
        int needed = Integer.highestOneBit(Math.max(1, known.size()));
        grow(needed < known.size() ? 2 * needed : needed);
        Arrays.fill(tree, ABSENT);
        size = 0;
        for (Slot slot : known) {
            slot.position = size;
            byPosition[size] = slot;
            orders[size] = slot.order;
            tree[capacity + size] = slot.key;
            size++;
        }
        for (int node = capacity - 1; node >= 1; node--) {
            tree[node] = Math.min(tree[2 * node], tree[2 * node + 1]);
        }
        reposition = false;
    }

    /** Resizes the arrays for {@code newCapacity} positions, keeping the positions and keys held. */
    private void grow(int newCapacity) {
        byPosition = Arrays.copyOf(byPosition, newCapacity);
        orders = Arrays.copyOf(orders, newCapacity);
        long[] keys = Arrays.copyOfRange(tree, capacity, capacity + Math.min(size, newCapacity));
        capacity = newCapacity;
        tree = new long[2 * capacity];
        Arrays.fill(tree, ABSENT);
        System.arraycopy(keys, 0, tree, capacity, keys.length);
        for (int node = capacity - 1; node >= 1; node--) {
            tree[node] = Math.min(tree[2 * node], tree[2 * node + 1]);
        }
    }
}
