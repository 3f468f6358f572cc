package io.rotor.api;

import java.util.List;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Picks one account among those available for a request.
 *
 * <p>Register implementations as OSGi services with the {@link #NAME} property. The engine
 * calls {@link #pick} concurrently from many threads; an implementation keeps any state per
 * pool ({@link PickRequest#pool()}) and must be thread-safe.
 */
@ConsumerType
public interface RotationStrategy {

    /** Service property: the name pools select the strategy by, e.g. {@code round-robin}. */
    String NAME = "rotor.strategy";

    /**
     * Picks an account.
     *
     * @param candidates the accounts available now, never empty, in the pool's stable order
     * @return the id of one of the candidates, or null to pick none
     */
    String pick(List<Candidate> candidates, PickRequest request);

    /**
     * Moves the pool on to its next account (the Gemini seed's {@code /v1/config/rotate}) and
     * returns it. Strategies that hold no "current" account simply pick.
     *
     * @return the id of one of the candidates, or null
     */
    default String rotate(List<Candidate> candidates, PickRequest request) {
        return pick(candidates, request);
    }
}
