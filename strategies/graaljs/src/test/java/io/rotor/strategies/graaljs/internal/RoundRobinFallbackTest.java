package io.rotor.strategies.graaljs.internal;

import static io.rotor.strategies.graaljs.internal.Scripts.REQUEST;
import static io.rotor.strategies.graaljs.internal.Scripts.accounts;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rotor.api.PickRequest;
import org.junit.jupiter.api.Test;

class RoundRobinFallbackTest {

    @Test
    void servesTheCandidatesInCircularOrderAndCarriesOnWhenOneDropsOut() {
        RoundRobinFallback fallback = new RoundRobinFallback();
        assertEquals("a", fallback.pick(accounts("a", "b", "c"), REQUEST));
        assertEquals("b", fallback.pick(accounts("a", "b", "c"), REQUEST));
        assertEquals("d", fallback.pick(accounts("a", "d"), REQUEST), "c is gone: the next one after b");
        assertEquals("a", fallback.pick(accounts("c", "a", "b"), REQUEST), "wraps around whatever the list order");
        assertEquals("b", fallback.pick(accounts("c", "a", "b"), REQUEST));
    }

    @Test
    void keepsOnePositionPerPool() {
        RoundRobinFallback fallback = new RoundRobinFallback();
        PickRequest other = new PickRequest("m", "u", "other", 0);
        assertEquals("a", fallback.pick(accounts("a", "b"), REQUEST));
        assertEquals("a", fallback.pick(accounts("a", "b"), other));
        assertEquals("b", fallback.pick(accounts("a", "b"), REQUEST));
    }
}
