package io.rotor.strategies.builtin.internal;

import io.rotor.api.Candidate;
import io.rotor.api.CandidateSelector;
import io.rotor.api.IndexedRotationStrategy;
import io.rotor.api.PickRequest;
import io.rotor.api.RotationStrategy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.osgi.service.component.annotations.Component;

/** {@code random}: picks each candidate with equal probability; keeps no state. */
@Component(service = RotationStrategy.class, property = RotationStrategy.NAME + "=random")
public final class RandomStrategy implements IndexedRotationStrategy {

    /** Draws before falling back to a scan: with few exclusions the first draw almost always fits. */
    private static final int DRAWS = 8;

    @Override
    public String pick(List<Candidate> candidates, PickRequest request) {
        if (candidates.isEmpty()) {
            return null;
        }
        return candidates.get(ThreadLocalRandom.current().nextInt(candidates.size())).id();
    }

    @Override
    public CandidateSelector selector(String pool) {
        return new CandidateSelector() {
            // Ids in an array for a uniform draw, with each id's slot for O(1) removal.
            private final List<String> ids = new ArrayList<>();
            private final Map<String, Integer> slots = new HashMap<>();

            @Override
            public void put(Candidate candidate) {
                if (slots.putIfAbsent(candidate.id(), ids.size()) == null) {
                    ids.add(candidate.id());
                }
            }

            @Override
            public void remove(String id) {
                Integer slot = slots.remove(id);
                if (slot == null) {
                    return;
                }
                String last = ids.remove(ids.size() - 1);
                if (slot < ids.size()) {
                    ids.set(slot, last);
                    slots.put(last, slot);
                }
            }

            @Override
            public boolean followsCounters() {
                return false; // the ids only
            }

            @Override
            public String pick(PickRequest request, Set<String> excluded) {
                if (ids.isEmpty()) {
                    return null;
                }
                ThreadLocalRandom random = ThreadLocalRandom.current();
                // Drawing again on an excluded id is still uniform over the others.
                for (int draw = 0; draw < DRAWS; draw++) {
                    String id = ids.get(random.nextInt(ids.size()));
                    if (!excluded.contains(id)) {
                        return id;
                    }
                }
                List<String> open = ids.stream().filter(id -> !excluded.contains(id)).toList();
                return open.isEmpty() ? null : open.get(random.nextInt(open.size()));
            }
        };
    }
}
