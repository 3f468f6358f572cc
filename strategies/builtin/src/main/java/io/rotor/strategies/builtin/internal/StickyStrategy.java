package io.rotor.strategies.builtin.internal;

import io.rotor.api.Candidate;
import io.rotor.api.PickRequest;
import io.rotor.api.RotationStrategy;
import java.util.List;
import org.osgi.service.component.annotations.Component;

/**
 * {@code sticky}: keeps using the pool's current account for as long as it is a candidate.
 * When it is not, the next account in circular order (by {@link Candidate#order()}) becomes
 * current. {@link #rotate} moves the pool on to the next account explicitly (the Gemini seed's
 * {@code /v1/config/rotate}). The first pick in a pool starts at the lowest order.
 */
@Component(service = RotationStrategy.class, property = RotationStrategy.NAME + "=sticky")
public final class StickyStrategy implements RotationStrategy {

    private final PerPool<CircularCursor> currents = new PerPool<>(CircularCursor::new);

    @Override
    public String pick(List<Candidate> candidates, PickRequest request) {
        return currents.of(request).stayOrAdvance(candidates);
    }

    @Override
    public String rotate(List<Candidate> candidates, PickRequest request) {
        return currents.of(request).advance(candidates);
    }
}
