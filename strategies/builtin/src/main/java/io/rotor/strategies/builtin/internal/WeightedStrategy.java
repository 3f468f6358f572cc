package io.rotor.strategies.builtin.internal;

import io.rotor.api.Candidate;
import io.rotor.api.CandidateSelector;
import io.rotor.api.IndexedRotationStrategy;
import io.rotor.api.PickRequest;
import io.rotor.api.RotationStrategy;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Component;

/**
 * {@code weighted}: picks accounts in proportion to their {@link Candidate#weight()}, using
 * nginx's smooth weighted round-robin per pool, so the sequence is deterministic and evenly
 * interleaved (weights 5, 1, 1 give a a b a c a a, and every 7 picks hold exactly 5, 1 and 1).
 * An account of weight 0 (or less) is never picked, unless every candidate has weight 0: then
 * they all count as equal.
 */
@Component(service = RotationStrategy.class, property = RotationStrategy.NAME + "=weighted")
public final class WeightedStrategy implements IndexedRotationStrategy {

    private final PerPool<SmoothWeights> weights = new PerPool<>(SmoothWeights::new);
    private final PerPool<SmoothWeightIndex> indexes = new PerPool<>(SmoothWeightIndex::new);

    @Override
    public String pick(List<Candidate> candidates, PickRequest request) {
        return weights.of(request).pick(candidates);
    }

    /**
     * The same sequence as {@link #pick} from the same candidates. The running weights of a pool's
     * selector and of its list picks are kept apart: the engine uses one or the other.
     */
    @Override
    public CandidateSelector selector(String pool) {
        return indexes.of(pool).restart();
    }

    /** One pool's running weights, keyed by account id. */
    private static final class SmoothWeights {

        /**
         * An account absent from the candidates keeps its running weight, as nginx keeps a down
         * peer's, so one that drops out right after being picked (busy) does not come back with
         * its debt forgiven; only accounts absent this many picks (deleted, long cooldowns) are
         * forgotten, which bounds the map.
         */
        private static final long FORGET_AFTER_PICKS = 4096;

        private final Map<String, Running> running = new HashMap<>();
        private long picks;

        synchronized String pick(List<Candidate> candidates) {
            boolean allZero = candidates.stream().allMatch(candidate -> candidate.weight() <= 0);
            long total = 0;
            Running best = null;
            String bestId = null;
            for (Candidate candidate : candidates) {
                int weight = allZero ? 1 : Math.max(0, candidate.weight());
                if (weight == 0) {
                    continue;
                }
                Running account = running.computeIfAbsent(candidate.id(), id -> new Running());
                account.current += weight;
                account.seenAt = picks;
                total += weight;
                if (best == null || account.current > best.current) {
                    best = account;
                    bestId = candidate.id();
                }
            }
            if (best == null) {
                return null;
            }
            best.current -= total;
            picks++;
            if (picks % FORGET_AFTER_PICKS == 0) {
                running.values().removeIf(account -> picks - account.seenAt > FORGET_AFTER_PICKS);
            }
            return bestId;
        }
    }

    private static final class Running {
        long current;
        long seenAt;
    }
}
