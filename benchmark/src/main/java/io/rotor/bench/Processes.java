package io.rotor.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The processes the benchmark runs (the fake upstream, Rotor) and what it reads off them. */
final class Processes {

    /**
     * A heap part's line of {@code jcmd GC.heap_info}: G1's one ("garbage-first heap total reserved …K,
     * committed …K, used …K"), or a generation each of the parallel and serial collectors ("PSYoungGen
     * total …K, used …K", "ParOldGen …"); not Metaspace, whose line has no total.
     */
    private static final Pattern HEAP_USED = Pattern.compile("total (?:reserved \\d+K, committed )?\\d+K, used (\\d+)K");

    private Processes() {
    }

    /** The java of the JDK running the benchmark. */
    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static String jcmd() {
        return Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
    }

    /** A started process with what it needs to be stopped. */
    record Running(Process process, long startedNanos) implements AutoCloseable {

        long pid() {
            return process.pid();
        }

        @Override
        public void close() {
            stop(process);
        }
    }

    /**
     * For the benchmark's own programs: returns when standard input ends, which is when the benchmark
     * that started them ends, even one stopped with Ctrl-C (it holds the other end open).
     */
    static void awaitEndOfInput() {
        try {
            while (System.in.read() >= 0) {
                // nothing is sent; only the end matters
            }
        } catch (IOException e) {
            // gone all the same
        }
    }

    /** Starts the fake upstream in a JVM of its own and returns it with its port. */
    static Running startFake(Path log, int[] port) throws IOException {
        return startHelper(FakeUpstream.class, "fake-upstream listening on ", log, port);
    }

    /**
     * Starts a bare TCP relay ({@link Relay} or {@link EventLoopRelay}) to {@code targetPort} in a JVM of its
     * own and returns it with its port.
     */
    static Running startRelay(Class<?> relay, int targetPort, Path log, int[] port) throws IOException {
        return startHelper(relay, "relay listening on ", log, port, Integer.toString(targetPort));
    }

    /** Starts one of the benchmark's own programs, which announces its port on its first line. */
    private static Running startHelper(Class<?> main, String announcement, Path log, int[] port, String... args)
            throws IOException {
        List<String> command = new ArrayList<>(List.of(java(), "-XX:+UseSerialGC", "-Xms64m", "-Xmx512m",
                "-XX:+AlwaysPreTouch", "-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectError(log.toFile()).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        if (line == null || !line.startsWith(announcement)) {
            process.destroyForcibly();
            throw new IOException(main.getSimpleName() + " did not start; see " + log);
        }
        port[0] = Integer.parseInt(line.substring(announcement.length()).trim());
        return new Running(process, System.nanoTime());
    }

    /** Starts {@code bin/rotor serve} of the distribution with a config file, its output to {@code log}. */
    static Running startRotor(Path distribution, Path config, Path log, String javaOptions) throws IOException {
        List<String> command = new ArrayList<>(List.of(distribution.resolve("bin/rotor").toString(), "serve",
                "--config", config.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Map<String, String> env = builder.environment();
        // bin/rotor looks for a JDK 25+ itself; pointing it at ours skips the search, as JAVA_HOME does for users.
        env.put("JAVA_HOME", System.getProperty("java.home"));
        if (javaOptions != null && !javaOptions.isBlank()) {
            env.put("ROTOR_JAVA_OPTS", javaOptions);
        } else {
            env.remove("ROTOR_JAVA_OPTS");
        }
        long started = System.nanoTime();
        Process process = builder.start();
        return new Running(process, started);
    }

    /**
     * Polls {@code GET /health} until it answers 200; returns the nanoseconds since the process was
     * started.
     */
    static long awaitHealthy(Running running, InetSocketAddress address, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        byte[] request = HttpConnection.request("GET", address, "/health", null, null);
        while (System.nanoTime() < deadline) {
            if (!running.process().isAlive()) {
                throw new IOException("Rotor exited with code " + running.process().exitValue());
            }
            try (HttpConnection connection = new HttpConnection(address, 2_000)) {
                if (connection.call(request) == 200) {
                    return System.nanoTime() - running.startedNanos();
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            sleepMillis(2);
        }
        throw new IOException("Rotor did not answer /health within " + timeout.toSeconds() + " s");
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Resident set size of a process in KiB, from /proc. */
    static long rssKiB(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no VmRSS for process " + pid);
    }

    /** Runs a full GC in the process and returns its used heap in KiB afterwards. */
    static long heapUsedAfterGcKiB(long pid) throws IOException, InterruptedException {
        run(jcmd(), Long.toString(pid), "GC.run");
        return heapUsedKiB(run(jcmd(), Long.toString(pid), "GC.heap_info"));
    }

    /** The heap in use, from {@code jcmd GC.heap_info}: the sum over its parts (generations, for some collectors). */
    static long heapUsedKiB(String info) throws IOException {
        Matcher used = HEAP_USED.matcher(info);
        long kib = 0;
        boolean found = false;
        while (used.find()) {
            kib += Long.parseLong(used.group(1));
            found = true;
        }
        if (!found) {
            throw new IOException("cannot read the heap in use: " + info);
        }
        return kib;
    }

    /** Runs a command, returns its output; fails on a non-zero exit. */
    static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output;
        try (InputStream in = process.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
        return output;
    }

    static void stop(Process process) {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** The 1, 5 and 15 minute load averages. */
    static double[] loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return new double[] {Double.parseDouble(parts[0]), Double.parseDouble(parts[1]),
                    Double.parseDouble(parts[2])};
        } catch (IOException | RuntimeException e) {
            return new double[] {-1, -1, -1};
        }
    }

    static void sleepMillis(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** True once something accepts connections at the address. */
    static boolean listening(InetSocketAddress address) {
        try (Socket socket = new Socket()) {
            socket.connect(address, 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
