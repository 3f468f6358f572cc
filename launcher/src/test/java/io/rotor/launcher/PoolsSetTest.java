package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.rotor.api.PoolUpdate;
import java.util.List;
import org.junit.jupiter.api.Test;

class PoolsSetTest {

    @Test
    void parsesEveryKeyIntoAPoolUpdate() {
        assertEquals(new PoolUpdate("weighted", 5, 30_000L, 9_000L, 2), PoolsCommand.Set.parse(List.of(
                "strategy=weighted", "perAccount=5", "windowMs=30000", "cooldownMs=9000", "maxRetries=2")));
        assertEquals(new PoolUpdate(null, 0, null, null, null), PoolsCommand.Set.parse(List.of("perAccount = 0")));
    }

    @Test
    void refusesUnknownKeysDuplicatesAndValuesThatAreNotNumbers() {
        assertEquals("unknown pool setting 'rateLimit.perAccount' (keys: strategy, perAccount, windowMs, cooldownMs,"
                + " maxRetries)", message("rateLimit.perAccount=3"));
        assertEquals("windowMs must be a whole number, got '1m'", message("windowMs=1m"));
        assertEquals("maxRetries is out of range: 9999999999", message("maxRetries=9999999999"));
        assertEquals("pool setting 'strategy' given twice", message("strategy=a", "strategy=b"));
        assertEquals("strategy needs a name", message("strategy="));
        assertEquals("expected key=value, got '=3' (keys: strategy, perAccount, windowMs, cooldownMs, maxRetries)",
                message("=3"));
    }

    private static String message(String... assignments) {
        return assertThrows(IllegalArgumentException.class, () -> PoolsCommand.Set.parse(List.of(assignments)))
                .getMessage();
    }
}
