package io.rotor.strategies.builtin.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The ring holds what a sorted set would after any mix of additions and removals, wrapped round or not. */
class SortedRingTest {

    @Test
    void holdsWhatASortedSetHoldsThroughRandomAdditionsAndRemovals() {
        for (long seed = 1; seed <= 20; seed++) {
            Random random = new Random(seed);
            SortedRing<Integer> ring = new SortedRing<>(Comparator.naturalOrder());
            TreeSet<Integer> expected = new TreeSet<>();
            int range = 1 + random.nextInt(200);
            for (int step = 0; step < 4_000; step++) {
                int value = random.nextInt(range);
                int action = random.nextInt(10);
                if (action < 4) {
                    if (expected.add(value)) {
                        ring.add(value);
                    }
                } else if (action < 6 && !expected.isEmpty()) {
                    // As a pick does: the first out, and back in after the last.
                    Integer first = ring.first();
                    assertEquals(expected.pollFirst(), first);
                    assertEquals(true, ring.remove(first));
                    int later = expected.isEmpty() ? first : expected.last() + 1 + random.nextInt(3);
                    expected.add(later);
                    ring.add(later);
                } else {
                    assertEquals(expected.remove(value), ring.remove(value), "seed " + seed + ", step " + step);
                }
                List<Integer> held = new ArrayList<>();
                ring.forEach(held::add);
                assertEquals(List.copyOf(expected), held, "seed " + seed + ", step " + step);
                assertEquals(expected.size(), ring.size());
            }
        }
    }

    @Test
    void removingWhatItDoesNotHoldChangesNothing() {
        SortedRing<Integer> ring = new SortedRing<>(Comparator.naturalOrder());
        assertFalse(ring.remove(3));
        ring.add(5);
        ring.add(1);
        assertFalse(ring.remove(3));
        assertEquals("[1, 5]", ring.toString());
    }
}
