package io.rotor.api;

import java.util.Set;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * One pool's available accounts as an {@link IndexedRotationStrategy} indexes them. The engine
 * calls a selector from one thread at a time and tells it of every change: an account that becomes
 * available, changes while available (its counters after each request, unless {@link
 * #followsCounters()} says the selector does not read them), or stops being available. A change to
 * an account's definition (its weight, priority, tags or pool) gives the pool a new selector.
 */
@ConsumerType
public interface CandidateSelector {

    /** The account is available now, or changed while available. */
    void put(Candidate candidate);

    /** The account is no longer available; an id the selector does not hold is ignored. */
    void remove(String id);

    /**
     * Picks one of the available accounts that {@code excluded} does not hold, exactly as {@link
     * RotationStrategy#pick} would from the list of them in the pool's stable order.
     *
     * @param excluded ids not to pick now (tried already by this request, or not serving its model);
     *        usually empty or small, never null
     * @return the id of an account that was put and not removed, not excluded; or null for none
     */
    String pick(PickRequest request, Set<String> excluded);

    /**
     * Whether picks read an account's live counters ({@link Candidate#status()}, {@link
     * Candidate#requestsThisWindow()}, {@link Candidate#totalRequests()}, {@link Candidate#lastUsed()},
     * {@link Candidate#inFlight()}, {@link Candidate#latencyMs()}). A selector that answers false is told
     * only when an account becomes or stops being available, not again after each request it serves
     * (which spares a copy of the account and a look-up in the selector twice per request). Asked once,
     * when the selector is made; the default is true.
     *
     * @since 0.4.0
     */
    default boolean followsCounters() {
        return true;
    }

    /** As {@link RotationStrategy#rotate}, among the same accounts as {@link #pick}. */
    default String rotate(PickRequest request, Set<String> excluded) {
        return pick(request, excluded);
    }
}
