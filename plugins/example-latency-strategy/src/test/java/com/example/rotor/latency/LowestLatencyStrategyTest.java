package com.example.rotor.latency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.rotor.api.AccountStatus;
import io.rotor.api.Candidate;
import io.rotor.api.PickRequest;
import java.util.List;
import org.junit.jupiter.api.Test;

class LowestLatencyStrategyTest {

    private static final PickRequest REQUEST = new PickRequest("gpt-4o-mini", "quinn", "default", 1);

    private final LowestLatencyStrategy strategy = new LowestLatencyStrategy();

    private static Candidate account(String id, double latencyMs) {
        return new Candidate(id, "openai", 0, 1, List.of(), AccountStatus.ACTIVE, 0, 0, 0, 0, 0, id.charAt(0),
                latencyMs);
    }

    @Test
    void picksTheAccountWithTheLowestAverageLatency() {
        assertEquals("b", strategy.pick(List.of(account("a", 420), account("b", 95.5), account("c", 300)), REQUEST));
    }

    @Test
    void triesAccountsWithoutALatencyFirstInTurn() {
        List<Candidate> candidates = List.of(account("a", 50), account("b", Double.NaN), account("c", Double.NaN));

        assertEquals("b", strategy.pick(candidates, REQUEST));
        assertEquals("c", strategy.pick(candidates, REQUEST));
        assertEquals("b", strategy.pick(candidates, REQUEST));
    }

    @Test
    void anOldStyleCandidateHasAnUnknownLatency() {
        Candidate old = new Candidate("a", "openai", 0, 1, List.of(), AccountStatus.ACTIVE, 0, 0, 0, 0, 0, 0);

        assertEquals(true, Double.isNaN(old.latencyMs()));
        assertEquals("a", strategy.pick(List.of(account("z", 1), old), REQUEST));
    }

    @Test
    void picksNoneFromNoCandidates() {
        assertNull(strategy.pick(List.of(), REQUEST));
    }
}
