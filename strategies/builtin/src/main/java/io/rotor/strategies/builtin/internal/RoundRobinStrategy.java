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
 * {@code round-robin}: serves a pool's accounts in circular order. Each pick takes the first
 * candidate whose {@link Candidate#order()} follows the last account picked in the pool,
 * wrapping around, so an account that is skipped while unavailable gets its turn again as
 * soon as it comes back. Concurrent picks over the same candidates are spread exactly evenly.
 */
@Component(service = RotationStrategy.class, property = RotationStrategy.NAME + "=round-robin")
public final class RoundRobinStrategy implements IndexedRotationStrategy {

    private final PerPool<CircularCursor> cursors = new PerPool<>(CircularCursor::new);

    @Override
    public String pick(List<Candidate> candidates, PickRequest request) {
        return cursors.of(request).advance(candidates);
    }

    @Override
    public CandidateSelector selector(String pool) {
        CircularCursor cursor = cursors.of(pool);
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
                return cursor.advance(candidates.only(), excluded);
            }
        };
    }
}
