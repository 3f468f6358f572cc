package io.rotor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/** {@code ./bench --against}: its options and its count of rounds won. */
class CompareTest {

    @Test
    void againstNamesTheOtherDistributionAsAnAbsolutePath() {
        Bench.Options options = Bench.Options.parse(new String[] {"--against", "other/rotor", "--only", "latency"});

        assertEquals(Path.of("other/rotor").toAbsolutePath(), options.against());
        assertEquals(List.of("latency"), options.phases());
    }

    @Test
    void withoutAgainstTheBenchmarkRunsAsBefore() {
        assertNull(Bench.Options.parse(new String[] {"--quick"}).against());
    }

    @Test
    void aRoundCountsForThisBuildOnlyWhenItsPercentileIsLower() {
        Compare.Wins wins = new Compare.Wins();
        wins.add(round(100, 200), 50);
        wins.add(round(300, 200), 50);
        wins.add(round(200, 200), 50);

        assertEquals("1 of 3", wins.toString());
    }

    private static Map<String, Histogram> round(long thisNanos, long againstNanos) {
        Histogram mine = Load.histogram();
        mine.recordValue(thisNanos);
        Histogram other = Load.histogram();
        other.recordValue(againstNanos);
        return Map.of("this", mine, "against", other);
    }
}
