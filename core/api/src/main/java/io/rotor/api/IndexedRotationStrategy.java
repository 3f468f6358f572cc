package io.rotor.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A {@link RotationStrategy} that keeps its own index of each pool's available accounts, so that a
 * pick costs about O(log n) in the pool's size instead of a look at every candidate.
 *
 * <p>For a strategy of this type the engine does not build a candidate list per pick: it asks for
 * one {@link CandidateSelector} per pool, tells it which accounts are available as they change, and
 * picks through it. A selector must pick exactly as {@link #pick} would pick from the list of its
 * available accounts, in the pool's stable order, less the excluded ones. Plugins and scripts that
 * only implement {@link RotationStrategy} keep working: they are called with a list.
 */
@ConsumerType
public interface IndexedRotationStrategy extends RotationStrategy {

    /**
     * Returns a selector for one pool, holding no accounts yet; the engine then {@linkplain
     * CandidateSelector#put puts} the available ones. A new selector for a pool replaces the one
     * handed out before (the engine uses one per pool at a time), keeping the pool's rotation state,
     * such as the last account served.
     */
    CandidateSelector selector(String pool);
}
