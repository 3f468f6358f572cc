package io.rotor.strategies.builtin.internal;

import io.rotor.api.Candidate;
import io.rotor.api.CandidateSelector;
import io.rotor.api.IndexedRotationStrategy;
import io.rotor.api.PickRequest;
import io.rotor.api.RotationStrategy;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import org.osgi.service.component.annotations.Component;

/**
 * {@code least-used}: picks the account with the fewest requests in its current rate-limit
 * window ({@link Candidate#requestsThisWindow()}).
 *
 * <p>Tie rule: among accounts with equally few requests, the one with the fewest requests in
 * flight ({@link Candidate#inFlight()}); among those still tied, round-robin: the first tied
 * account whose order follows the last account this strategy picked in the pool, wrapping
 * around. Concurrent picks that see the same counts therefore spread over the tied accounts
 * instead of all landing on the first.
 */
@Component(service = RotationStrategy.class, property = RotationStrategy.NAME + "=least-used")
public final class LeastUsedStrategy implements IndexedRotationStrategy {

    private static final Comparator<Candidate> USAGE = Comparator
            .comparingInt(Candidate::requestsThisWindow)
            .thenComparingInt(Candidate::inFlight);

    private final PerPool<CircularCursor> cursors = new PerPool<>(CircularCursor::new);

    @Override
    public String pick(List<Candidate> candidates, PickRequest request) {
        return cursors.of(request).advance(Candidates.lowest(candidates, USAGE));
    }

    @Override
    public CandidateSelector selector(String pool) {
        CircularCursor cursor = cursors.of(pool);
        // Both counts are never negative: the key orders as USAGE does.
        LowestKeyIndex candidates = new LowestKeyIndex(candidate ->
                ((long) candidate.requestsThisWindow() << 32) | (candidate.inFlight() & 0xffffffffL));
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
            public String pick(PickRequest request, Set<String> excluded) {
                return cursor.advance(candidates, excluded);
            }
        };
    }
}
