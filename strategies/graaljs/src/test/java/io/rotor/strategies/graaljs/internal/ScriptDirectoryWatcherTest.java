package io.rotor.strategies.graaljs.internal;

import static io.rotor.strategies.graaljs.internal.Scripts.REQUEST;
import static io.rotor.strategies.graaljs.internal.Scripts.accounts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rotor.api.Candidate;
import io.rotor.api.RotationStrategy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScriptDirectoryWatcherTest {

    private static final List<Candidate> ABC = accounts("a", "b", "c");
    private static final String FIRST = "function pick(accounts) { return accounts[0].id; }";
    private static final String SECOND = "function pick(accounts) { return accounts[1].id; }";
    private static final String BROKEN = "function pick(accounts { return accounts[0].id; }";

    @TempDir
    Path root;
    private final RecordingRegistry registry = new RecordingRegistry();
    private ScriptDirectoryWatcher watcher;

    @AfterEach
    void closeWatcher() {
        if (watcher != null) {
            watcher.close();
        }
    }

    private Path plugins() throws IOException {
        return Files.createDirectories(root.resolve("plugins"));
    }

    private void write(String fileName, String text) throws IOException {
        Files.writeString(plugins().resolve(fileName), text);
    }

    private ScriptDirectoryWatcher start() throws IOException {
        watcher = new ScriptDirectoryWatcher(plugins(), Duration.ofSeconds(10), registry);
        watcher.start();
        return watcher;
    }

    /** Two looks: the first sees the change, the second finds it settled and applies it. */
    private void settle() {
        watcher.look();
        watcher.look();
    }

    @Test
    void registersEveryTopLevelScriptAtStartNamedAfterItsFileWithoutStartingGraalJs() throws IOException {
        write("by-tag.js", FIRST);
        write("least_recently.used.js", SECOND);
        Files.createDirectories(plugins().resolve("examples"));
        write("examples/weighted.js", FIRST);
        write("notes.txt", FIRST);
        write(".by-tag.js", FIRST);
        write("two words.js", FIRST);

        start();

        assertEquals(Set.of("by-tag", "least_recently.used"), registry.live.keySet());
        Map<String, Object> properties = registry.properties.get("by-tag");
        assertEquals("by-tag", properties.get(RotationStrategy.NAME));
        assertEquals(plugins().resolve("by-tag.js").toString(), properties.get(GraalJsRotationStrategy.FILE));
        assertEquals(0L, properties.get(GraalJsRotationStrategy.PICKS));
        assertFalse(watcher.runtime().started(), "registering a script must not start GraalJS");
        assertEquals("a", registry.live.get("by-tag").pick(ABC, REQUEST));
        assertTrue(watcher.runtime().started());
    }

    @Test
    void aNewFileIsRegisteredOnceItReadsTheSameOnTwoLooks() throws IOException {
        start();
        write("late.js", FIRST);
        watcher.look();
        assertFalse(registry.live.containsKey("late"), "not settled yet");
        watcher.look();
        assertTrue(registry.live.containsKey("late"));
    }

    @Test
    void aFileStillBeingWrittenIsNotLoadedUntilItStopsChanging() throws IOException {
        start();
        write("growing.js", "function pick(accounts) {");
        watcher.look();
        write("growing.js", FIRST);
        watcher.look();
        assertFalse(registry.live.containsKey("growing"));
        watcher.look();
        assertEquals("a", registry.live.get("growing").pick(ABC, REQUEST));
        assertEquals(0, registry.live.get("growing").errors());
    }

    @Test
    void anEditedFileChangesThePicksOfTheSameRegisteredStrategy() throws IOException {
        write("edited.js", FIRST);
        start();
        GraalJsRotationStrategy strategy = registry.live.get("edited");
        assertEquals("a", strategy.pick(ABC, REQUEST));

        write("edited.js", SECOND);
        settle();

        assertSame(strategy, registry.live.get("edited"), "edited in place, never unregistered");
        assertEquals(List.of("register edited"), registry.events);
        assertEquals("b", strategy.pick(ABC, REQUEST));
    }

    @Test
    void aRemovedFileUnregistersItsStrategyWhenItStaysGone() throws IOException {
        write("gone.js", FIRST);
        start();
        Files.delete(plugins().resolve("gone.js"));
        watcher.look();
        assertTrue(registry.live.containsKey("gone"), "missing on one look only");
        watcher.look();
        assertFalse(registry.live.containsKey("gone"));
        assertEquals(List.of("register gone", "unregister gone"), registry.events);
    }

    @Test
    void aFileDeletedAndWrittenAgainWithinALookKeepsItsStrategy() throws IOException {
        write("rewritten.js", FIRST);
        start();
        Files.delete(plugins().resolve("rewritten.js"));
        write("rewritten.js", FIRST);
        settle();
        assertEquals(List.of("register rewritten"), registry.events);
    }

    @Test
    void onceGraalJsRunsAFileThatDoesNotLoadIsNotRegisteredUntilItIsFixed() throws IOException {
        write("good.js", FIRST);
        start();
        registry.live.get("good").pick(ABC, REQUEST);

        write("broken.js", BROKEN);
        settle();
        assertFalse(registry.live.containsKey("broken"));

        write("broken.js", SECOND);
        settle();
        assertEquals("b", registry.live.get("broken").pick(ABC, REQUEST));
    }

    @Test
    void onceGraalJsRunsAnEditThatDoesNotLoadRemovesTheStrategy() throws IOException {
        write("edited.js", FIRST);
        start();
        registry.live.get("edited").pick(ABC, REQUEST);
        write("edited.js", BROKEN);
        settle();
        assertFalse(registry.live.containsKey("edited"));
        assertEquals(List.of("register edited", "unregister edited"), registry.events);
    }

    @Test
    void aBrokenScriptRegisteredBeforeGraalJsRanIsRemovedAfterItsFirstPickFailed() throws IOException {
        write("broken.js", BROKEN);
        start();
        GraalJsRotationStrategy broken = registry.live.get("broken");
        assertNotNull(broken, "nothing is compiled before GraalJS runs");

        assertEquals("a", broken.pick(ABC, REQUEST), "falls back to round-robin");
        watcher.look();

        assertFalse(registry.live.containsKey("broken"));
    }

    @Test
    void scriptsRegisteredBeforeGraalJsRanAreLoadedOnceItRuns() throws IOException {
        write("good.js", FIRST);
        write("broken.js", BROKEN);
        write("other.js", SECOND);
        start();

        registry.live.get("good").pick(ABC, REQUEST);
        watcher.look();

        assertEquals(Set.of("good", "other"), registry.live.keySet());
        assertTrue(registry.live.get("other").program().loaded(), "loaded by the look, not by a pick");
    }

    @Test
    void aScriptNamedLikeAnotherStrategyIsIgnored() throws IOException {
        registry.taken.add("round-robin");
        write("round-robin.js", FIRST);
        start();
        settle();
        assertTrue(registry.live.isEmpty());
    }

    @Test
    void aFileLargerThanTheLimitIsIgnored() throws IOException {
        write("huge.js", FIRST + "\n//" + "x".repeat((int) ScriptDirectoryWatcher.MAX_SCRIPT_BYTES));
        start();
        assertTrue(registry.live.isEmpty());
    }

    @Test
    void publishesPickAndErrorCountersAsServiceProperties() throws IOException {
        write("counted.js", "function pick(accounts, request) { if (request.attempt > 0) throw new Error('x'); "
                + "return accounts[0].id; }");
        start();
        GraalJsRotationStrategy counted = registry.live.get("counted");
        counted.pick(ABC, REQUEST);
        counted.pick(ABC, REQUEST);
        counted.pick(ABC, new io.rotor.api.PickRequest("m", "u", "default", 1));

        watcher.look();

        Map<String, Object> properties = registry.properties.get("counted");
        assertEquals(3L, properties.get(GraalJsRotationStrategy.PICKS));
        assertEquals(1L, properties.get(GraalJsRotationStrategy.ERRORS));
        assertTrue(String.valueOf(properties.get(GraalJsRotationStrategy.LAST_ERROR)).contains("threw Error: x"));
    }

    @Test
    void closingUnregistersEveryStrategyAndClosesGraalJs() throws IOException {
        write("one.js", FIRST);
        write("two.js", SECOND);
        start();
        registry.live.get("one").pick(ABC, REQUEST);
        watcher.close();
        assertTrue(registry.live.isEmpty());
        assertTrue(registry.events.containsAll(List.of("unregister one", "unregister two")));
        watcher = null;
    }

    @Test
    void aMissingFolderRegistersNothingAndIsPickedUpWhenCreated() throws IOException {
        watcher = new ScriptDirectoryWatcher(root.resolve("not-yet"), Duration.ofSeconds(10), registry);
        watcher.start();
        assertTrue(registry.live.isEmpty());
        Files.createDirectories(root.resolve("not-yet"));
        Files.writeString(root.resolve("not-yet/later.js"), FIRST);
        settle();
        assertTrue(registry.live.containsKey("later"));
    }

    /** Keeps what the watcher registered, by strategy name. */
    private static final class RecordingRegistry implements StrategyRegistry {

        final Map<String, GraalJsRotationStrategy> live = new TreeMap<>();
        final Map<String, Map<String, Object>> properties = new TreeMap<>();
        final List<String> events = new ArrayList<>();
        final List<String> taken = new ArrayList<>();

        @Override
        public boolean taken(String name) {
            return taken.contains(name);
        }

        @Override
        public Registration register(GraalJsRotationStrategy strategy, Map<String, Object> initial) {
            String name = (String) initial.get(RotationStrategy.NAME);
            live.put(name, strategy);
            properties.put(name, initial);
            events.add("register " + name);
            return new Registration() {
                @Override
                public void update(Map<String, Object> changed) {
                    properties.put(name, changed);
                }

                @Override
                public void unregister() {
                    live.remove(name);
                    properties.remove(name);
                    events.add("unregister " + name);
                }
            };
        }
    }
}
