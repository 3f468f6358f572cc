package io.rotor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution's {@code bin/rotor} and its start-up cache, run as an operator runs it: a start
 * without a cache records one that is kept only if that run got as far as serving; the next start
 * uses it; a run that never served ({@code --help}) leaves nothing that is kept. Rotor's output goes
 * to a file: with a pipe read by this JVM, the JVM under test did not write its cache when stopped (cause
 * not found; a terminal, a file and the benchmark's log file all work). Lives here because
 * this module is built after the launcher's distribution exists.
 */
class LauncherScriptTest {

    private static final Path DISTRIBUTION = Path.of(System.getProperty("user.dir")).resolveSibling("launcher")
            .resolve("target/rotor");

    @TempDir
    Path folder;

    @Test
    void theStartUpCacheComesFromARunThatServedAndIsUsedByTheNextStart() throws Exception {
        assumeTrue(Files.isExecutable(DISTRIBUTION.resolve("bin/rotor")), "no distribution at " + DISTRIBUTION
                + " (built by the launcher module's package phase)");
        Path home = copyOfDistribution();
        Path config = writeConfig();
        Path cache = home.resolve("rotor-serve.aot");

        serveUntilReadyThenStop(home, config);
        assertTrue(Files.exists(home.resolve("rotor-serve.aot.new")), "the first stop wrote no recording: " + listing(home));
        assertTrue(Files.exists(home.resolve("rotor-serve.aot.ok")), "the first run left no ready mark");
        assertFalse(Files.exists(cache));

        serveUntilReadyThenStop(home, config);
        assertTrue(Files.exists(cache), "the recording did not become the cache");
        assertFalse(Files.exists(home.resolve("rotor-serve.aot.new")), "a second recording was made");
        assertFalse(Files.exists(home.resolve("rotor-serve.aot.ok")));

        Files.delete(cache);
        assertEquals(0, run(home, "serve", "--help"));
        assertTrue(Files.exists(home.resolve("rotor-serve.aot.new")), "--help recorded nothing to discard");
        serveUntilReadyThenStop(home, config);
        assertFalse(Files.exists(cache), "the recording of --help became the cache");
        assertTrue(Files.exists(home.resolve("rotor-serve.aot.new")), "the start after --help did not record again");
    }

    @Test
    void servesOnTheParallelCollectorUnlessTheOperatorNamesOneAndACacheIsPerCollector() throws Exception {
        assumeTrue(Files.isExecutable(DISTRIBUTION.resolve("bin/rotor")), "no distribution at " + DISTRIBUTION);
        Path home = copyOfDistribution();
        Path config = writeConfig();
        Path cache = home.resolve("rotor-serve.aot");

        String defaults = serveUntilReadyThenStop(home, config, Map.of());
        assertTrue(defaults.contains("-XX:+UseParallelGC"), defaults);
        serveUntilReadyThenStop(home, config, Map.of());
        assertTrue(Files.exists(cache), "no cache after two served runs: " + listing(home));

        String flags = serveUntilReadyThenStop(home, config, Map.of("ROTOR_JAVA_OPTS", "-XX:+UseSerialGC"));
        assertTrue(flags.contains("-XX:+UseSerialGC") && !flags.contains("-XX:+UseParallelGC"), flags);
        assertFalse(Files.exists(cache), "a cache made on another collector was used");
        assertTrue(Files.exists(home.resolve("rotor-serve.aot.new")), "the run on another collector recorded nothing");
    }

    /** The distribution's bin and launcher jar copied, its libraries, bundles and plugins linked. */
    private Path copyOfDistribution() throws IOException {
        Path home = Files.createDirectories(folder.resolve("rotor"));
        Files.createDirectories(home.resolve("bin"));
        Files.copy(DISTRIBUTION.resolve("bin/rotor"), home.resolve("bin/rotor"));
        Files.copy(DISTRIBUTION.resolve("rotor.jar"), home.resolve("rotor.jar"));
        for (String linked : List.of("lib", "bundles", "plugins")) {
            Files.createSymbolicLink(home.resolve(linked), DISTRIBUTION.resolve(linked).toAbsolutePath());
        }
        return home;
    }

    private Path writeConfig() throws IOException {
        Path config = folder.resolve("rotor.properties");
        Files.writeString(config, String.join("\n",
                "server.host = 127.0.0.1",
                "server.port = " + Processes.freePort(),
                "store = json",
                "store.json.path = " + folder.resolve("data/accounts.json"),
                "security.masterKey = script-test-master-key-0123456789abcdef",
                "security.encryptionKey = 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
                "plugins.dir = " + folder.resolve("plugins"),
                ""));
        return config;
    }

    private static ProcessBuilder rotor(Path home, Map<String, String> environment, String... args) {
        List<String> command = new ArrayList<>(List.of(home.resolve("bin/rotor").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        for (String name : List.of("ROTOR_JAVA_OPTS", "ROTOR_CDS", "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS")) {
            builder.environment().remove(name);
        }
        builder.environment().putAll(environment);
        return builder;
    }

    private static int run(Path home, String... args) throws Exception {
        Process process = rotor(home, Map.of(), args).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "rotor " + String.join(" ", args) + " did not end");
        return process.exitValue();
    }

    private void serveUntilReadyThenStop(Path home, Path config) throws Exception {
        serveUntilReadyThenStop(home, config, Map.of());
    }

    /** Serves until ready, then stops as a service manager does; returns the JVM's command-line arguments. */
    private String serveUntilReadyThenStop(Path home, Path config, Map<String, String> environment) throws Exception {
        Path log = Files.createTempFile(folder, "serve", ".log");
        Process process = rotor(home, environment, "serve", "--config", config.toString())
                .redirectOutput(log.toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.readString(log).contains("Rotor is ready on ")) {
                assertTrue(process.isAlive() && System.nanoTime() < deadline, "serve did not get ready:\n"
                        + Files.readString(log));
                Thread.sleep(50);
            }
            // bin/rotor execs the JVM: the process's own command line holds the options it chose.
            String[] arguments = process.info().arguments().orElse(null);
            assumeTrue(arguments != null, "this platform does not show a process's arguments");
            String flags = String.join(" ", arguments);
            process.destroy(); // SIGTERM, as a service manager stops it
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "serve did not stop on SIGTERM");
            return flags;
        } finally {
            process.destroyForcibly();
        }
    }

    private static String listing(Path home) throws IOException {
        try (var files = Files.list(home)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList().toString();
        }
    }
}
