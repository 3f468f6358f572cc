package io.rotor.strategies.builtin.internal;

import io.rotor.api.Candidate;
import io.rotor.api.PickRequest;
import io.rotor.api.RotationStrategy;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.osgi.service.component.annotations.Component;

/** {@code random}: picks each candidate with equal probability; keeps no state. */
@Component(service = RotationStrategy.class, property = RotationStrategy.NAME + "=random")
public final class RandomStrategy implements RotationStrategy {

    @Override
    public String pick(List<Candidate> candidates, PickRequest request) {
        if (candidates.isEmpty()) {
            return null;
        }
        return candidates.get(ThreadLocalRandom.current().nextInt(candidates.size())).id();
    }
}
