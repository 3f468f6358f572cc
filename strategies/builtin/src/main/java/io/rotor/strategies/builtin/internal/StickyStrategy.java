package io.rotor.strategies.builtin.internal;

import io.rotor.api.Candidate;
import io.rotor.api.CandidateSelector;
import io.rotor.api.IndexedRotationStrategy;
import io.rotor.api.PickRequest;
import io.rotor.api.RotationStrategy;
import java.util.List;
import java.util.Set;
import org.osgi.service.component.annotations.Component;

/**
 * {@code sticky}: keeps using the pool's current account for as long as it is a candidate.
 * When it is not, the next account in circular order (by {@link Candidate#order()}) becomes
 * current. {@link #rotate} moves the pool on to the next account explicitly (the Gemini seed's
 * {@code /v1/config/rotate}). The first pick in a pool starts at the lowest order.
 */
@Component(service = RotationStrategy.class, property = RotationStrategy.NAME + "=sticky")
public final class StickyStrategy implements IndexedRotationStrategy {

    private final PerPool<CircularCursor> currents = new PerPool<>(CircularCursor::new);

    @Override
    public String pick(List<Candidate> candidates, PickRequest request) {
        return currents.of(request).stayOrAdvance(candidates);
    }

    @Override
    public String rotate(List<Candidate> candidates, PickRequest request) {
        return currents.of(request).advance(candidates);
    }

    @Override
    public CandidateSelector selector(String pool) {
        CircularCursor current = currents.of(pool);
        OrderedBuckets candidates = new OrderedBuckets(candidate -> 0);
        return new CandidateSelector() {
            @Override
            public void put(Candidate candidate) {
                candidates.put(candidate);
            }

            @Override
            public void remove(String id) {
                candidates.remove(id);
            }

            @Override
            public boolean followsCounters() {
                return false; // the order only
            }

            @Override
            public String pick(PickRequest request, Set<String> excluded) {
                return current.stayOrAdvance(candidates, excluded);
            }

            @Override
            public String rotate(PickRequest request, Set<String> excluded) {
                return current.advance(candidates.only(), excluded);
            }
        };
    }
}
