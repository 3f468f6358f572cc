package io.rotor.strategies.builtin.internal;

import static io.rotor.strategies.builtin.internal.Fixtures.account;
import static io.rotor.strategies.builtin.internal.Fixtures.accounts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

class CircularCursorTest {

    @Test
    void nextAfterTakesTheLowestGreaterOrder() {
        assertEquals("c", CircularCursor.nextAfter(1, accounts("a", "c", "d")).id());
    }

    @Test
    void nextAfterWrapsAroundToTheLowestOrder() {
        assertEquals("a", CircularCursor.nextAfter(3, accounts("a", "b", "d")).id());
    }

    @Test
    void nextAfterDoesNotDependOnListPosition() {
        assertEquals("b", CircularCursor.nextAfter(0, List.of(account("d"), account("b"), account("c"))).id());
        assertEquals("b", CircularCursor.nextAfter(9, List.of(account("d"), account("b"), account("c"))).id());
    }

    @Test
    void noCandidatesGiveNoAccount() {
        CircularCursor cursor = new CircularCursor();
        assertNull(CircularCursor.nextAfter(0, List.of()));
        assertNull(cursor.advance(List.of()));
        assertNull(cursor.stayOrAdvance(List.of()));
    }

    @Test
    void firstAdvanceStartsAtTheLowestOrder() {
        assertEquals("b", new CircularCursor().advance(accounts("b", "c")));
    }

    @Test
    void stayOrAdvanceMatchesTheCurrentAccountById() {
        CircularCursor cursor = new CircularCursor();
        cursor.advance(accounts("a", "b"));
        // Same order, different id: the current account is gone, so the cursor moves on.
        var renumbered = List.of(new io.rotor.api.Candidate("x", "openai", 0, 1, List.of(),
                io.rotor.api.AccountStatus.ACTIVE, 0, 0, 0, 0, 0, 0), account("b"));
        assertEquals("b", cursor.stayOrAdvance(renumbered));
    }
}
