package io.rotor.strategies.builtin.internal;

import io.rotor.api.Candidate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Helpers over candidate lists shared by the strategies. */
final class Candidates {

    private Candidates() {
    }

    /** The candidates that rank lowest by {@code ranking}, ties all kept, in list order. */
    static List<Candidate> lowest(List<Candidate> candidates, Comparator<Candidate> ranking) {
        List<Candidate> lowest = new ArrayList<>();
        for (Candidate candidate : candidates) {
            int comparison = lowest.isEmpty() ? -1 : ranking.compare(candidate, lowest.get(0));
            if (comparison < 0) {
                lowest.clear();
            }
            if (comparison <= 0) {
                lowest.add(candidate);
            }
        }
        return lowest;
    }
}
