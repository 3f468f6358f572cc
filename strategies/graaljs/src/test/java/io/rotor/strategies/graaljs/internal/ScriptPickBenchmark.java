package io.rotor.strategies.graaljs.internal;

import io.rotor.api.AccountStatus;
import io.rotor.api.Candidate;
import io.rotor.api.PickRequest;
import io.rotor.api.RotationStrategy;
import io.rotor.strategies.builtin.internal.RoundRobinStrategy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * What a script pick costs next to the built-in {@code round-robin}, in nanoseconds per pick on
 * one thread, for a few candidate-list sizes. Run it with the README's benchmark command; it
 * prints a table and asserts nothing.
 *
 * <p>Each cell is the median of {@link #ROUNDS} timed rounds of {@link #ROUND} each, after
 * {@link #WARM_UP} of warm-up, so the interpreter's first slow calls are not counted.
 */
public final class ScriptPickBenchmark {

    private static final int[] SIZES = {3, 10, 50};
    private static final Duration WARM_UP = Duration.ofSeconds(2);
    private static final Duration ROUND = Duration.ofMillis(500);
    private static final int ROUNDS = 5;
    private static final PickRequest REQUEST = new PickRequest("gpt-4o", "usr_bench", "default", 0);
    /** Keeps the JIT from dropping picks whose result is unused. */
    static volatile long blackhole;

    private ScriptPickBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path examples = Path.of(System.getProperty("rotor.examples", "../../launcher/src/dist/plugins/examples"));
        Map<String, String> scripts = new LinkedHashMap<>();
        scripts.put("script: return accounts[0].id", "function pick(accounts) { return accounts[0].id; }");
        scripts.put("script: least-recently-used.js", Files.readString(examples.resolve("least-recently-used.js")));
        scripts.put("script: prefer-tag-for-model.js", Files.readString(examples.resolve("prefer-tag-for-model.js")));

        System.out.printf("Rotor script pick benchmark: JDK %s, %d CPUs, one thread picking%n",
                Runtime.version(), Runtime.getRuntime().availableProcessors());
        try (GraalJsRuntime runtime = new GraalJsRuntime(Duration.ofSeconds(10))) {
            long start = System.nanoTime();
            GraalJsRotationStrategy first = strategy(runtime, "first", scripts.values().iterator().next());
            first.pick(candidates(3), REQUEST);
            System.out.printf("first script pick (starts GraalJS, warms it, loads the script): %d ms%n",
                    (System.nanoTime() - start) / 1_000_000);
            start = System.nanoTime();
            ScriptProgram another = new ScriptProgram(runtime, "another.js", scripts.values().iterator().next());
            another.verify();
            System.out.printf("one more pooled context (engine running): %.1f ms%n%n",
                    (System.nanoTime() - start) / 1e6);
            another.close();

            List<String> header = new ArrayList<>();
            header.add("candidates");
            header.add("round-robin");
            header.addAll(scripts.keySet());
            System.out.println(String.join(" | ", header));
            for (int size : SIZES) {
                List<Candidate> candidates = candidates(size);
                List<String> row = new ArrayList<>();
                row.add(String.valueOf(size));
                row.add(nanosPerPick(new RoundRobinStrategy(), candidates) + " ns");
                for (Map.Entry<String, String> script : scripts.entrySet()) {
                    GraalJsRotationStrategy strategy = strategy(runtime, "bench", script.getValue());
                    row.add(nanosPerPick(strategy, candidates) + " ns");
                    if (strategy.errors() > 0) {
                        row.set(row.size() - 1, row.getLast() + " (" + strategy.errors() + " errors: "
                                + strategy.lastError() + ")");
                    }
                }
                System.out.println(String.join(" | ", row));
            }
        }
    }

    private static GraalJsRotationStrategy strategy(GraalJsRuntime runtime, String name, String text) {
        return new GraalJsRotationStrategy(name, name + ".js", name + ".js", new ScriptProgram(runtime, name + ".js", text));
    }

    /** Accounts with varied fields, as a real pool has. */
    private static List<Candidate> candidates(int count) {
        return IntStream.range(0, count)
                .mapToObj(i -> new Candidate("acc_" + Integer.toHexString(0x10000 + i * 7919), "openai", i % 3,
                        1 + i % 4, i % 2 == 0 ? List.of("premium", "eu") : List.of("cheap"), AccountStatus.ACTIVE,
                        i % 7, 1_000L * i, 1_700_000_000_000L + 37_000L * ((i * 13) % count), i % 2, 0, i))
                .toList();
    }

    private static long nanosPerPick(RotationStrategy strategy, List<Candidate> candidates) {
        run(strategy, candidates, WARM_UP);
        long[] rounds = new long[ROUNDS];
        for (int r = 0; r < ROUNDS; r++) {
            rounds[r] = run(strategy, candidates, ROUND);
        }
        Arrays.sort(rounds);
        return rounds[ROUNDS / 2];
    }

    /** Picks for about {@code duration}; returns the nanoseconds per pick. */
    private static long run(RotationStrategy strategy, List<Candidate> candidates, Duration duration) {
        long picks = 0;
        long sink = 0;
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        long now;
        do {
            for (int i = 0; i < 100; i++) {
                String picked = strategy.pick(candidates, REQUEST);
                sink += picked == null ? 0 : picked.length();
            }
            picks += 100;
            now = System.nanoTime();
        } while (now < end);
        blackhole += sink;
        return (now - start) / picks;
    }
}
