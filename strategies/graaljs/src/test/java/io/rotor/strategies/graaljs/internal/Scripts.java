package io.rotor.strategies.graaljs.internal;

import io.rotor.api.AccountStatus;
import io.rotor.api.Candidate;
import io.rotor.api.PickRequest;
import java.util.List;
import java.util.stream.IntStream;

/** Candidates, requests and strategies built from script text, shared by the tests. */
final class Scripts {

    static final PickRequest REQUEST = new PickRequest("gpt-4o", "usr_alice", "default", 0);

    private Scripts() {
    }

    /** An idle active account whose order is its position in the alphabet (a = 0). */
    static Candidate account(String id) {
        return new Candidate(id, "openai", 0, 1, List.of(), AccountStatus.ACTIVE, 0, 0, 0, 0, 0, id.charAt(0) - 'a');
    }

    static List<Candidate> accounts(String... ids) {
        return List.of(ids).stream().map(Scripts::account).toList();
    }

    /** {@code count} accounts named acc0, acc1, … in that order. */
    static List<Candidate> numbered(int count) {
        return IntStream.range(0, count)
                .mapToObj(i -> new Candidate("acc" + i, "openai", 0, 1, List.of(), AccountStatus.ACTIVE, i, i * 10L,
                        1_000L * i, 0, 0, i))
                .toList();
    }

    static Candidate with(Candidate c, int priority, int weight, List<String> tags, long lastUsed) {
        return new Candidate(c.id(), c.upstream(), priority, weight, tags, c.status(), c.requestsThisWindow(),
                c.totalRequests(), lastUsed, c.inFlight(), c.maxConcurrent(), c.order());
    }

    static GraalJsRotationStrategy strategy(GraalJsRuntime runtime, String name, String text) {
        return new GraalJsRotationStrategy(name, "/plugins/" + name + ".js", "plugins/" + name + ".js",
                new ScriptProgram(runtime, name + ".js", text));
    }
}
