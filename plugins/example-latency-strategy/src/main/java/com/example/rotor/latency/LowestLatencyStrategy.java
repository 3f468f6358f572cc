package com.example.rotor.latency;

import io.rotor.api.Candidate;
import io.rotor.api.PickRequest;
import io.rotor.api.RotationStrategy;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.osgi.service.component.annotations.Component;

/**
 * {@code lowest-latency}: picks the account whose recent upstream latency ({@link Candidate#latencyMs()},
 * a moving average the engine keeps) is lowest.
 *
 * <p>An account with no latency yet (NaN) is tried first, so every account gets measured; among several
 * unmeasured ones the pick rotates. Ties go to the first candidate in the engine's order.
 */
@Component(service = RotationStrategy.class, property = RotationStrategy.NAME + "=lowest-latency")
public final class LowestLatencyStrategy implements RotationStrategy {

    private final AtomicInteger unmeasuredTurn = new AtomicInteger();

    @Override
    public String pick(List<Candidate> candidates, PickRequest request) {
        List<Candidate> unmeasured = candidates.stream().filter(c -> Double.isNaN(c.latencyMs())).toList();
        if (!unmeasured.isEmpty()) {
            return unmeasured.get(Math.floorMod(unmeasuredTurn.getAndIncrement(), unmeasured.size())).id();
        }
        Candidate fastest = null;
        for (Candidate candidate : candidates) {
            if (fastest == null || candidate.latencyMs() < fastest.latencyMs()) {
                fastest = candidate;
            }
        }
        return fastest == null ? null : fastest.id();
    }
}
