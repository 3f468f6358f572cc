package io.rotor.strategies.builtin.internal;

import io.rotor.api.Candidate;
import io.rotor.api.CandidateSelector;
import io.rotor.api.IndexedRotationStrategy;
import io.rotor.api.PickRequest;
import io.rotor.api.RotationStrategy;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.osgi.service.component.annotations.Component;

/**
 * {@code priority}: picks among the accounts with the lowest {@link Candidate#priority()}
 * value; accounts sharing that priority take turns in round-robin (circular by order, per
 * pool). Higher values are used only while no lower-valued account is available, and such a
 * fallback does not disturb the turn among the lower-valued accounts: each priority value keeps
 * its own place in the circle.
 */
@Component(service = RotationStrategy.class, property = RotationStrategy.NAME + "=priority")
public final class PriorityStrategy implements IndexedRotationStrategy {

    private static final Comparator<Candidate> PRIORITY = Comparator.comparingInt(Candidate::priority);

    private final PerPool<ConcurrentMap<Integer, CircularCursor>> cursors =
            new PerPool<>(ConcurrentHashMap::new);

    @Override
    public String pick(List<Candidate> candidates, PickRequest request) {
        List<Candidate> highest = Candidates.lowest(candidates, PRIORITY);
        if (highest.isEmpty()) {
            return null;
        }
        return cursors.of(request)
                .computeIfAbsent(highest.get(0).priority(), priority -> new CircularCursor())
                .advance(highest);
    }

    @Override
    public CandidateSelector selector(String pool) {
        ConcurrentMap<Integer, CircularCursor> poolCursors = cursors.of(pool);
        OrderedBuckets candidates = new OrderedBuckets(Candidate::priority);
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
                return false; // the priority and order only
            }

            @Override
            public String pick(PickRequest request, Set<String> excluded) {
                // The lowest priority value with an account not excluded; usually the first group.
                for (Map.Entry<Long, TreeMap<Long, Candidate>> group : candidates.groups()) {
                    String picked = poolCursors.computeIfAbsent(group.getKey().intValue(), p -> new CircularCursor())
                            .advance(group.getValue(), excluded);
                    if (picked != null) {
                        return picked;
                    }
                }
                return null;
            }
        };
    }
}
