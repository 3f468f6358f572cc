package io.rotor.strategies.builtin.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rotor.api.AccountStatus;
import io.rotor.api.Candidate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The index's own upkeep, which {@link SelectorEquivalenceTest} reaches only in part: growing over
 * thousands of accounts, forgetting accounts gone for good, and taking one of them back afterwards.
 */
class LowestKeyIndexTest {

    private final LowestKeyIndex index = new LowestKeyIndex(Candidate::requestsThisWindow);

    @Test
    void forgetsAccountsGoneForGoodAndTakesOneBackInItsTurn() {
        for (int i = 0; i < 3_000; i++) {
            index.put(account(i, 0));
        }
        for (int i = 0; i < 3_000; i++) {
            if (i % 30 != 0) {
                index.remove("acc" + i);
            }
        }
        // 2,900 gone against 100 left: past the point where the gone ones are forgotten and positions assigned anew.
        assertTrue(index.known() < 3_000, index.known() + " accounts known");
        List<Long> expected = new ArrayList<>();
        for (long order = 0; order < 3_000; order += 30) {
            expected.add(order);
        }
        assertEquals(expected, picks(100, -1));

        index.put(account(45, 0));
        assertEquals(List.of(30L, 45L, 60L), picks(3, 0));
        index.put(account(2_999, 0));
        assertEquals(List.of(2_970L, 2_999L, 0L), picks(3, 2_940));
    }

    @Test
    void picksTheLowestKeyFirstAndAmongEqualKeysTheNextInOrder() {
        for (int i = 0; i < 1_000; i++) {
            index.put(account(i, 5));
        }
        index.put(account(700, 2));
        index.put(account(300, 2));
        assertEquals(List.of(700L, 300L, 700L), picks(3, 500));
        index.put(account(700, 5));
        assertEquals(300L, index.pick(300, Set.of()).order());
        index.remove("acc300");
        assertEquals(501L, index.pick(500, Set.of()).order());
        assertEquals(0L, index.pick(500, idsFrom(501, 1_000)).order(), "wraps around past the excluded ones");
        assertEquals(502L, index.pick(500, Set.of("acc501")).order(), "an exclusion lasts one pick");
        for (int i = 0; i < 1_000; i++) {
            index.remove("acc" + i);
        }
        assertNull(index.pick(500, Set.of()));
    }

    private List<Long> picks(int count, long after) {
        List<Long> orders = new ArrayList<>();
        long last = after;
        for (int i = 0; i < count; i++) {
            last = index.pick(last, Set.of()).order();
            orders.add(last);
        }
        return orders;
    }

    private static Set<String> idsFrom(int first, int end) {
        Set<String> ids = new HashSet<>();
        for (int i = first; i < end; i++) {
            ids.add("acc" + i);
        }
        return ids;
    }

    private static Candidate account(int order, int requests) {
        return new Candidate("acc" + order, "openai", 0, 1, List.of(), AccountStatus.ACTIVE, requests, 0, 0, 0, 0,
                order);
    }
}
