package io.rotor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./bench --against}: its options and its count of rounds won. */
class CompareTest {

    @Test
    void againstNamesTheOtherDistributionAsAnAbsolutePath(@TempDir Path folder) throws IOException {
        Path script = Files.createDirectories(folder.resolve("rotor/bin")).resolve("rotor");
        Files.writeString(script, "#!/bin/sh\n");
        assertTrue(script.toFile().setExecutable(true));
        String relative = Path.of("").toAbsolutePath().relativize(folder.resolve("rotor")).toString();

        Bench.Options options = Bench.Options.parse(new String[] {"--against", relative, "--only", "latency"});

        assertEquals(folder.resolve("rotor"), options.against());
        assertEquals(List.of("latency"), options.phases());
    }

    @Test
    void aFolderWithoutADistributionIsRefusedAtOnce(@TempDir Path folder) {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> Bench.Options.parse(new String[] {"--against", folder.toString()}));

        assertTrue(refused.getMessage().contains("no Rotor distribution at " + folder), refused.getMessage());
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
