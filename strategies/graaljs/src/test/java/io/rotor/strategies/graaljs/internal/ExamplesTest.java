package io.rotor.strategies.graaljs.internal;

import static io.rotor.strategies.graaljs.internal.Scripts.REQUEST;
import static io.rotor.strategies.graaljs.internal.Scripts.account;
import static io.rotor.strategies.graaljs.internal.Scripts.with;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rotor.api.Candidate;
import io.rotor.api.PickRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Runs each example the distribution ships in plugins/examples/ through the strategy, as Rotor would. */
class ExamplesTest {

    private static final Path EXAMPLES = Path.of(System.getProperty("rotor.examples",
            "../../launcher/src/dist/plugins/examples"));
    private static final Set<String> TESTED = Set.of("prefer-tag-for-model.js", "least-recently-used.js",
            "time-of-day.js", "weighted-random.js");
    private static GraalJsRuntime runtime;

    @BeforeAll
    static void startRuntime() {
        runtime = new GraalJsRuntime(Duration.ofSeconds(10));
    }

    @AfterAll
    static void closeRuntime() {
        runtime.close();
    }

    private static String text(String fileName) {
        try {
            return Files.readString(EXAMPLES.resolve(fileName));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static GraalJsRotationStrategy example(String fileName) {
        return example(fileName, "");
    }

    /** The example as shipped, with {@code prelude} run before it (to fix the clock). */
    private static GraalJsRotationStrategy example(String fileName, String prelude) {
        String name = fileName.substring(0, fileName.length() - 3);
        return new GraalJsRotationStrategy(name, EXAMPLES.resolve(fileName).toString(), "examples/" + fileName,
                new ScriptProgram(runtime, fileName, prelude + text(fileName)));
    }

    private static String pick(GraalJsRotationStrategy strategy, List<Candidate> candidates, String model) {
        String picked = strategy.pick(candidates, new PickRequest(model, "usr_alice", "default", 0));
        assertNull(strategy.lastError(), strategy::lastError);
        return picked;
    }

    @Test
    void everyShippedExampleHasATest() throws IOException {
        try (Stream<Path> files = Files.list(EXAMPLES)) {
            assertEquals(TESTED, files.map(p -> p.getFileName().toString()).collect(Collectors.toSet()));
        }
    }

    @Test
    void preferTagForModelTakesTheLeastBusyAccountTaggedForTheModel() {
        List<Candidate> candidates = List.of(
                used(with(account("a"), 0, 1, List.of("cheap"), 0), 5),
                used(with(account("b"), 0, 1, List.of("premium"), 0), 3),
                used(with(account("c"), 0, 1, List.of("premium"), 0), 1),
                used(with(account("d"), 0, 1, List.of("o3"), 0), 9),
                used(account("e"), 0));
        GraalJsRotationStrategy strategy = example("prefer-tag-for-model.js");
        assertEquals("c", pick(strategy, candidates, "gpt-4o"));
        assertEquals("a", pick(strategy, candidates, "gpt-4o-mini"));
        assertEquals("d", pick(strategy, candidates, "o3"), "a tag named after the model");
        assertEquals("e", pick(strategy, candidates, "llama-3"), "nobody tagged: the least busy of all");
        assertEquals("e", pick(strategy, candidates, "constructor"), "not fooled by Object.prototype");
    }

    @Test
    void leastRecentlyUsedTakesTheAccountIdleLongestAndNeverUsedOnesFirst() {
        GraalJsRotationStrategy strategy = example("least-recently-used.js");
        List<Candidate> candidates = List.of(
                with(account("a"), 0, 1, List.of(), 3_000),
                with(account("b"), 0, 1, List.of(), 1_000),
                with(account("c"), 0, 1, List.of(), 2_000));
        assertEquals("b", pick(strategy, candidates, "m"));
        List<Candidate> withNew = List.of(candidates.get(0), candidates.get(1), account("d"));
        assertEquals("d", pick(strategy, withNew, "m"));
    }

    @ParameterizedTest
    @CsvSource({"10, a", "17, a", "18, c", "23, b", "3, b", "6, c"})
    void timeOfDayTakesTheAccountsOnDutyAtThisHour(int hour, String expected) {
        List<Candidate> candidates = List.of(
                used(with(account("a"), 0, 1, List.of("hours:8-18"), 0), 1),
                used(with(account("b"), 0, 1, List.of("hours:22-6"), 0), 2),
                used(with(account("c"), 0, 1, List.of("eu"), 0), 3));
        assertEquals(expected, pick(example("time-of-day.js", fixedClock(hour)), candidates, "m"));
    }

    @Test
    void timeOfDayServesOffHoursRatherThanNotAtAll() {
        List<Candidate> candidates = List.of(
                used(with(account("a"), 0, 1, List.of("hours:8-18"), 0), 4),
                used(with(account("b"), 0, 1, List.of("hours:9-17"), 0), 2));
        assertEquals("b", pick(example("time-of-day.js", fixedClock(20)), candidates, "m"));
    }

    @Test
    void weightedRandomSendsTrafficInProportionToWeight() {
        GraalJsRotationStrategy strategy = example("weighted-random.js");
        List<Candidate> candidates = List.of(
                with(account("a"), 0, 1, List.of(), 0),
                with(account("b"), 0, 3, List.of(), 0),
                with(account("c"), 0, 0, List.of(), 0));
        Map<String, Integer> counts = new TreeMap<>();
        for (int i = 0; i < 4_000; i++) {
            counts.merge(strategy.pick(candidates, REQUEST), 1, Integer::sum);
        }
        assertEquals(0, strategy.errors(), strategy::lastError);
        assertEquals(Set.of("a", "b"), counts.keySet(), "weight 0 gets nothing: " + counts);
        // Expected 1000 / 3000; 200 is more than seven standard deviations.
        assertTrue(Math.abs(counts.get("a") - 1_000) < 200, counts.toString());
    }

    private static Candidate used(Candidate c, int requestsThisWindow) {
        return new Candidate(c.id(), c.upstream(), c.priority(), c.weight(), c.tags(), c.status(), requestsThisWindow,
                c.totalRequests(), c.lastUsed(), c.inFlight(), c.maxConcurrent(), c.order());
    }

    /** Replaces the script's clock with one stopped at {@code hour}:30 today, local time. */
    private static String fixedClock(int hour) {
        long now = LocalDate.now().atTime(hour, 30).atZone(ZoneId.systemDefault()).toInstant().toEpochMilli();
        return """
                Date = (function (RealDate) {
                  return class extends RealDate {
                    constructor(...args) { if (args.length === 0) { super(%d); } else { super(...args); } }
                    static now() { return %d; }
                  };
                })(Date);
                """.formatted(now, now);
    }
}
