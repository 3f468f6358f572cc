package io.rotor.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;

/**
 * The gateway benchmark: starts the fake upstream and Rotor's distribution as processes of their
 * own, sets Rotor up through its admin API, and measures direct-to-fake against through-Rotor in
 * alternating rounds of the same run. Prints one table and writes the figures as JSON.
 *
 * <pre>./bench [--quick] [--profile] [--peers]</pre>
 */
public final class Bench {

    static final String MODEL = "bench";
    static final String BODY = "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
    static final int CONNECTIONS = 64;
    static final int LATENCY_RATE = 500;
    /** One stream at a time, started every 20 ms: a stream takes about 7 ms, so none waits for the one before. */
    static final int STREAM_RATE = 50;
    /** How long each side of a fixed-rate comparison runs before the next takes its turn (50 requests at 500/s). */
    static final Duration INTERLEAVE = Duration.ofMillis(100);
    /** The same at 50 a second: 10 exchanges a turn. */
    static final Duration SLOW_INTERLEAVE = Duration.ofMillis(200);
    static final int STREAM_EVENTS = 4;
    static final int STREAM_GAP_MS = 2;
    static final int HELD_STREAMS = 2_000;
    static final int MANY = 10_000;
    static final int FEW = 10;
    /** Rounds a warm-up needs that fail to beat the best so far before it counts as steady. */
    static final int STEADY_ROUNDS = 3;
    /** How much better than the best so far a round must be to count as still rising. */
    static final double STEADY_MARGIN = 0.03;
    /** Warm-up stops for no process before this many rounds. */
    static final int MIN_WARM_UP_ROUNDS = 5;
    static final List<String> STRATEGIES = List.of("round-robin", "least-used", "random", "priority", "sticky",
            "weighted");
    static final String SCRIPT = "bench-lru";
    static final String SCRIPT_SOURCE = "least-recently-used.js";

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Options options;
    private final Map<String, Object> results = new LinkedHashMap<>();
    private final List<Row> table = new ArrayList<>();
    private final Path work;
    private final Path distribution;
    private final String masterKey;
    private final String encryptionKey;
    private int fakePort;
    private InetSocketAddress fake;
    private InetSocketAddress rotor;
    private Processes.Running rotorProcess;
    private Processes.Running fakeProcess;
    private Processes.Running relayProcess;
    /** The bare TCP relay in front of the fake: what one more hop costs, the floor under any gateway. */
    private InetSocketAddress relay;
    private Processes.Running eventLoopRelayProcess;
    /** The same relay on event loops, which costs less under saturation (see {@link EventLoopRelay}). */
    private InetSocketAddress eventLoopRelay;
    /** nginx in front of the fake when this machine has it: a mature HTTP proxy beside Rotor ({@link Nginx}). */
    private Nginx nginx;

    /** What the command line asked for. */
    record Options(boolean quick, boolean profile, boolean peers, Path root, Path out, List<String> phases,
            List<String> strategies, Path against) {

        static final List<String> PHASES = List.of("startup", "check", "latency", "throughput", "sse", "streams",
                "scale");

        static Options parse(String[] args) {
            boolean quick = false;
            boolean profile = false;
            boolean peers = false;
            List<String> phases = PHASES;
            List<String> strategies = STRATEGIES;
            Path root = Path.of("").toAbsolutePath();
            Path against = null;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--quick" -> quick = true;
                    case "--profile" -> profile = true;
                    case "--peers" -> peers = true;
                    case "--root" -> root = Path.of(args[++i]).toAbsolutePath();
                    case "--only" -> phases = List.of(args[++i].split(","));
                    case "--strategies" -> strategies = List.of(args[++i].split(","));
                    case "--against" -> {
                        against = Path.of(args[++i]).toAbsolutePath().normalize();
                        if (!Files.isExecutable(against.resolve("bin/rotor"))) {
                            throw new IllegalArgumentException("no Rotor distribution at " + against
                                    + " (no bin/rotor); give a copy of launcher/target/rotor");
                        }
                    }
                    case "--help", "-h" -> {
                        System.out.println("usage: ./bench [--quick] [--profile] [--peers] [--only "
                                + String.join(",", PHASES) + "] [--strategies " + String.join(",", STRATEGIES)
                                + "]\n       ./bench --against OTHER_DISTRIBUTION [--quick] [--only "
                                + String.join(",", Compare.PHASES) + "]");
                        System.exit(0);
                    }
                    default -> throw new IllegalArgumentException("unknown option " + args[i] + " (see --help)");
                }
            }
            return new Options(quick, profile, peers, root, root.resolve("target/bench"), phases, strategies, against);
        }

        boolean runs(String phase) {
            return phases.contains(phase);
        }

        /** Full runs take longer rounds and more of them. */
        Duration round(double fullSeconds, double quickSeconds) {
            return Duration.ofMillis((long) ((quick ? quickSeconds : fullSeconds) * 1000));
        }

        int rounds(int full, int quick) {
            return this.quick ? quick : full;
        }
    }

    /** One line of the printed table. */
    record Row(String figure, String measured, String target, Boolean met) {
    }

    Bench(Options options) throws IOException {
        this.options = options;
        this.distribution = options.root().resolve("launcher/target/rotor");
        if (!Files.isExecutable(distribution.resolve("bin/rotor"))) {
            throw new IllegalStateException("no Rotor distribution at " + distribution + "; build it first (./bench does)");
        }
        Files.createDirectories(options.out());
        this.work = Files.createTempDirectory("rotor-bench-");
        this.encryptionKey = newEncryptionKey();
        this.masterKey = newMasterKey();
    }

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("bench: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (options.against() != null) {
            Compare compare = new Compare(options);
            System.exit(runThenStop(compare::run, compare::stopAll));
        }
        Bench bench = new Bench(options);
        System.exit(runThenStop(bench::run, bench::stopAll));
    }

    /** What a benchmark run does, before its processes are stopped. */
    interface Work {
        void run() throws Exception;
    }

    /** Runs {@code work}, stops the processes it started whatever happened, and returns the exit code. */
    private static int runThenStop(Work work, Runnable stopAll) {
        try {
            work.run();
            return 0;
        } catch (Exception e) {
            System.err.println("bench: " + e);
            e.printStackTrace();
            return 1;
        } finally {
            stopAll.run();
        }
    }

    void run() throws Exception {
        double[] loadAtStart = Processes.loadAverage();
        say("Rotor benchmark (%s): JDK %s, %d CPUs, load average %s; work folder %s", options.quick() ? "quick" : "full",
                Runtime.version(), Runtime.getRuntime().availableProcessors(), Arrays.toString(loadAtStart), work);
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("date", Instant.now().toString());
        machine.put("mode", options.quick() ? "quick" : "full");
        machine.put("cpus", Runtime.getRuntime().availableProcessors());
        machine.put("jdk", Runtime.version().toString());
        machine.put("loadAverageAtStart", loadAtStart);
        results.put("machine", machine);

        int[] port = new int[1];
        fakeProcess = Processes.startFake(work.resolve("fake-upstream.log"), port);
        fakePort = port[0];
        fake = new InetSocketAddress(InetAddress.getLoopbackAddress(), fakePort);
        relayProcess = Processes.startRelay(Relay.class, fakePort, work.resolve("relay.log"), port);
        relay = new InetSocketAddress(InetAddress.getLoopbackAddress(), port[0]);
        eventLoopRelayProcess = Processes.startRelay(EventLoopRelay.class, fakePort,
                work.resolve("event-loop-relay.log"), port);
        eventLoopRelay = new InetSocketAddress(InetAddress.getLoopbackAddress(), port[0]);
        startNginx();
        rotor = new InetSocketAddress(InetAddress.getLoopbackAddress(), Processes.freePort());
        writeConfig(work, rotor.getPort(), fakePort, masterKey, encryptionKey);

        startup();
        startMeasuredRotor();
        AdminClient admin = new AdminClient(rotor, masterKey);
        String userKey = admin.addUsers("default", 1).get(0);
        byte[] direct = HttpConnection.request("POST", fake, "/v1/chat/completions", null, BODY);
        byte[] through = HttpConnection.request("POST", rotor, "/v1/chat/completions", "Bearer " + userKey, BODY);

        warmUp(direct, through);
        if (options.runs("check")) {
            loadGeneratorCheck(direct);
        }
        if (options.runs("latency")) {
            latency(direct, through);
        }
        if (options.runs("throughput")) {
            throughput(direct, through);
        }
        if (options.runs("sse")) {
            sse(userKey);
        }
        if (options.runs("streams")) {
            heldStreams(userKey);
        }
        if (options.peers()) {
            peers(userKey);
        }
        if (options.runs("scale")) {
            scale(admin);
        }
        pinning();

        machine.put("loadAverageAtEnd", Processes.loadAverage());
        finish();
    }

    // ---------------------------------------------------------------- set-up

    /**
     * Writes {@code rotor.properties} into {@code work} for a Rotor on {@code port} in front of the fake on
     * {@code fakePort}, its store and plugin folder beside it; returns the file.
     */
    static Path writeConfig(Path work, int port, int fakePort, String masterKey, String encryptionKey)
            throws IOException {
        Files.createDirectories(work.resolve("plugins"));
        String config = String.join("\n",
                "server.host = 127.0.0.1",
                "server.port = " + port,
                "store = json",
                "store.json.path = " + work.resolve("data/accounts.json"),
                "security.masterKey = " + masterKey,
                "security.encryptionKey = " + encryptionKey,
                "rotation.strategy = round-robin",
                // Unlimited per-account windows: the benchmark measures the gateway, not its limiter.
                "rateLimit.perAccount = 0",
                "accounts.autoValidateOnAdd = false",
                "plugins.dir = " + work.resolve("plugins"),
                "upstream.fake.type = openai",
                "upstream.fake.baseUrl = http://127.0.0.1:" + fakePort + "/v1",
                "upstream.fake.models = *",
                "");
        return Files.writeString(work.resolve("rotor.properties"), config);
    }

    /** The table's label for nginx's row under a figure. */
    private String nginxRow() {
        return "  the same, nginx " + nginx.version() + " as a reverse proxy";
    }

    /** Starts nginx as a reference proxy if the machine has it; the run goes on without it if not. */
    private void startNginx() throws IOException, InterruptedException {
        Map<String, Object> reference = new LinkedHashMap<>();
        Optional<Path> binary = Nginx.find();
        if (binary.isEmpty()) {
            say("nginx not found (on Debian: apt-get install nginx-light): no nginx rows in this run");
            reference.put("found", false);
        } else {
            nginx = Nginx.start(binary.get(), work.resolve("nginx"), fakePort);
            say("nginx %s in front of the fake on port %d, as a reference HTTP proxy", nginx.version(),
                    nginx.address().getPort());
            reference.put("found", true);
            reference.put("version", nginx.version());
            reference.put("config", nginx.config());
        }
        results.put("nginx", reference);
    }

    static String newMasterKey() {
        return "bench-master-" + randomHex();
    }

    static String newEncryptionKey() {
        return randomHex();
    }

    private static String randomHex() {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return HexFormat.of().formatHex(key);
    }

    /** Time from start to ready: {@code bin/rotor serve} until {@code GET /health} answers, no scripts. */
    private void startup() throws Exception {
        say("Start-up: bin/rotor serve until /health answers…");
        Processes.Running first = Processes.startRotor(distribution, work.resolve("rotor.properties"),
                work.resolve("rotor-startup.log"), null);
        long emptyStore = Processes.awaitHealthy(first, rotor, Duration.ofSeconds(60));
        AdminClient admin = new AdminClient(rotor, masterKey);
        admin.addAccounts("fake", "default", FEW);
        first.close();
        if (!options.runs("startup")) {
            return;
        }
        List<Double> samples = new ArrayList<>();
        List<String> phases = new ArrayList<>();
        for (int i = 0; i < options.rounds(5, 3); i++) {
            try (Processes.Running again = Processes.startRotor(distribution, work.resolve("rotor.properties"),
                    work.resolve("rotor-startup.log"), "-Drotor.startupPhases=true")) {
                samples.add(Processes.awaitHealthy(again, rotor, Duration.ofSeconds(60)) / 1e6);
            }
            phases.add(lastLine(work.resolve("rotor-startup.log"), "rotor start-up phases (ms): "));
        }
        say("  %s", phases.getLast());
        List<Double> sorted = samples.stream().sorted().toList();
        double median = sorted.get(sorted.size() / 2);
        Map<String, Object> startup = new LinkedHashMap<>();
        startup.put("firstStartEmptyStoreMs", emptyStore / 1e6);
        startup.put("samplesMs", samples);
        startup.put("medianMs", median);
        startup.put("minMs", sorted.get(0));
        startup.put("maxMs", sorted.get(sorted.size() - 1));
        startup.put("phasesMs", phases);
        results.put("startup", startup);
        table.add(new Row("start to ready, no scripts (median of " + samples.size() + ")",
                String.format(Locale.ROOT, "%.2f s (%.2f–%.2f)", median / 1000, sorted.get(0) / 1000,
                        sorted.get(sorted.size() - 1) / 1000), "≤ 1.5 s", median <= 1500));
    }

    private void startMeasuredRotor() throws Exception {
        Path jfc = work.resolve("pinning.jfc");
        try (InputStream settings = Bench.class.getResourceAsStream("pinning.jfc")) {
            Files.write(jfc, settings.readAllBytes());
        }
        String options = "-XX:StartFlightRecording=name=pinning,settings=" + jfc + ",filename="
                + work.resolve("pinning.jfr");
        if (this.options.profile()) {
            options += " -XX:StartFlightRecording=name=profile,settings=profile,filename="
                    + this.options.out().resolve("rotor-profile.jfr");
        }
        String extra = System.getenv("ROTOR_JAVA_OPTS");
        if (extra != null && !extra.isBlank()) {
            // What an operator would set for serve, measured as they would run it.
            options += " " + extra.trim();
        }
        rotorProcess = Processes.startRotor(distribution, work.resolve("rotor.properties"), work.resolve("rotor.log"),
                options);
        long ready = Processes.awaitHealthy(rotorProcess, rotor, Duration.ofSeconds(60));
        say("Rotor (pid %d, with JFR) ready after %.2f s; fake upstream pid %d on port %d", rotorProcess.pid(),
                ready / 1e9, fakeProcess.pid(), fakePort);
    }

    /**
     * Loads Rotor, the fake and the relay until each one's throughput stops rising: the JIT compiles a
     * server's request path only after many requests, and under saturation on two cores its compiler
     * threads get little CPU, so a fixed short warm-up would measure half-compiled code (Rotor took about
     * 40 s to reach its steady rate here). Rounds alternate between the three; a process is steady when
     * {@link #STEADY_ROUNDS} rounds in a row beat its best round so far by less than
     * {@link #STEADY_MARGIN}. The rates of every round go to the results, with the time each one took.
     */
    private void warmUp(byte[] direct, byte[] through) throws Exception {
        Duration round = options.round(2, 1);
        Duration limit = options.round(120, 30);
        say("Warming up until throughput stops rising (rounds of %.1f s, at most %d s each)…", round.toMillis() / 1e3,
                limit.toSeconds());
        List<WarmUp> all = List.of(new WarmUp("rotor", rotor, new byte[][] {through}),
                new WarmUp("direct", fake, new byte[][] {direct}), new WarmUp("relay", relay, new byte[][] {direct}),
                new WarmUp("eventLoopRelay", eventLoopRelay, new byte[][] {direct}));
        warmUntilSteady(all, round, limit);
        Map<String, Object> warmUp = new LinkedHashMap<>();
        warmUp.put("roundSeconds", round.toMillis() / 1e3);
        for (WarmUp w : all) {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("steady", w.steady());
            one.put("seconds", w.seconds(round));
            one.put("roundRps", w.rates);
            warmUp.put(w.name, one);
            say("  %s: %s after %.0f s, %,.0f → %,.0f req/s", w.name, w.steady() ? "steady" : "still rising",
                    w.seconds(round), w.rates.getFirst(), w.rates.getLast());
        }
        results.put("warmUp", warmUp);
        WarmUp rotorWarmUp = all.getFirst();
        table.add(new Row("warm-up: load until Rotor's throughput is steady", String.format(Locale.ROOT, "%.0f s%s",
                rotorWarmUp.seconds(round), rotorWarmUp.steady() ? "" : " (still rising)"), "", null));
        Load.fixedRate(new Load.Call(relay, direct, Load.histogram()), LATENCY_RATE, options.round(1, 0.5));
        Load.fixedRate(new Load.Call(rotor, through, Load.histogram()), LATENCY_RATE, options.round(2, 1));
    }

    /** Runs closed-loop rounds, in turn, of each load not yet steady, until all are or the limit has passed for each. */
    static void warmUntilSteady(List<WarmUp> all, Duration round, Duration limit) throws InterruptedException {
        long maxRounds = Math.max(1, limit.toMillis() / round.toMillis());
        for (int i = 0; i < maxRounds && all.stream().anyMatch(w -> !w.steady()); i++) {
            for (WarmUp w : all) {
                if (!w.steady()) {
                    w.rates.add(Load.closedLoop(w.address, w.requests, CONNECTIONS, round).perSecond());
                }
            }
        }
    }

    /** One load being warmed up (a process, or one of Rotor's pools): the closed-loop rates of its rounds so far. */
    record WarmUp(String name, InetSocketAddress address, byte[][] requests, List<Double> rates) {
        WarmUp(String name, InetSocketAddress address, byte[][] requests) {
            this(name, address, requests, new ArrayList<>());
        }

        boolean steady() {
            return isSteady(rates);
        }

        /** How long it was loaded, in rounds of {@code round}. */
        double seconds(Duration round) {
            return rates.size() * round.toMillis() / 1e3;
        }
    }

    /**
     * True once there are at least {@link #MIN_WARM_UP_ROUNDS} rates and none of the last
     * {@link #STEADY_ROUNDS} is more than {@link #STEADY_MARGIN} above the best rate before it.
     */
    static boolean isSteady(List<Double> rates) {
        if (rates.size() < Math.max(MIN_WARM_UP_ROUNDS, STEADY_ROUNDS + 1)) {
            return false;
        }
        double best = 0;
        for (int i = 0; i < rates.size(); i++) {
            if (i >= rates.size() - STEADY_ROUNDS && rates.get(i) > best * (1 + STEADY_MARGIN)) {
                return false;
            }
            best = Math.max(best, rates.get(i));
        }
        return true;
    }

    // ---------------------------------------------------------------- measurements

    /** Is the raw-socket client fast enough, and would the JDK's HttpClient have been? */
    private void loadGeneratorCheck(byte[] direct) throws Exception {
        Duration round = options.round(3, 1.5);
        CpuClock cpu = new CpuClock();
        Load.Throughput raw = Load.closedLoop(fake, new byte[][] {direct}, CONNECTIONS, round);
        Map<String, Double> rawCpu = cpu.lap();
        double jdk = jdkClientThroughput(round);
        Map<String, Object> check = new LinkedHashMap<>();
        check.put("rawSocketClientRps", raw.perSecond());
        check.put("rawSocketCpuShare", rawCpu);
        check.put("jdkHttpClientVirtualThreadsRps", jdk);
        results.put("loadGenerator", check);
        say("Load generator against the fake alone, %d connections: raw sockets %,.0f req/s (CPU: %s), JDK HttpClient on"
                + " virtual threads %,.0f req/s", CONNECTIONS, raw.perSecond(), rawCpu, jdk);
    }

    private double jdkClientThroughput(Duration duration) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newVirtualThreadPerTaskExecutor()).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + fakePort + "/v1/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(BODY)).build();
        LongAdder done = new LongAdder();
        long deadline = System.nanoTime() + duration.toNanos();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> all = new ArrayList<>();
            for (int i = 0; i < CONNECTIONS; i++) {
                all.add(threads.submit(() -> {
                    while (System.nanoTime() < deadline) {
                        HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
                        if (response.statusCode() == 200 && System.nanoTime() <= deadline) {
                            done.increment();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> future : all) {
                future.get();
            }
        }
        client.close();
        return done.sum() / (duration.toNanos() / 1e9);
    }

    private void latency(byte[] direct, byte[] through) throws Exception {
        Duration each = options.round(18, 3);
        say("Latency at one request in flight, %d req/s fixed rate, %.0f s each for the fake, the relay%s and Rotor in"
                + " turns of %d ms…", LATENCY_RATE, each.toMillis() / 1000.0, nginx == null ? "" : ", nginx",
                INTERLEAVE.toMillis());
        Histogram directLatency = Load.histogram();
        Histogram relayLatency = Load.histogram();
        Histogram nginxLatency = Load.histogram();
        Histogram rotorLatency = Load.histogram();
        List<Load.Target> targets = new ArrayList<>(List.of(new Load.Call(fake, direct, directLatency),
                new Load.Call(relay, direct, relayLatency), new Load.Call(rotor, through, rotorLatency)));
        if (nginx != null) {
            targets.add(new Load.Call(nginx.address(), direct, nginxLatency));
        }
        long errors = Load.fixedRate(targets, LATENCY_RATE, each, INTERLEAVE);
        Map<String, Object> latency = new LinkedHashMap<>();
        latency.put("ratePerSecond", LATENCY_RATE);
        latency.put("samplesEach", rotorLatency.getTotalCount());
        latency.put("errors", errors);
        latency.put("direct", percentiles(directLatency));
        latency.put("relay", percentiles(relayLatency));
        latency.put("rotor", percentiles(rotorLatency));
        Map<String, Double> added = added(directLatency, rotorLatency);
        Map<String, Double> relayAdded = added(directLatency, relayLatency);
        latency.put("added", added);
        latency.put("relayAdded", relayAdded);
        results.put("latencyOneInFlight", latency);
        table.add(new Row("added latency, 1 in flight: p50 / p99 / p99.9",
                String.format(Locale.ROOT, "%.3f / %.3f / %.3f ms", added.get("p50Ms"), added.get("p99Ms"),
                        added.get("p999Ms")),
                "p50 ≤ 0.15, p99 ≤ 0.5 ms", added.get("p50Ms") <= 0.15 && added.get("p99Ms") <= 0.5));
        table.add(new Row("  the same, bare TCP relay (floor for any proxy)",
                String.format(Locale.ROOT, "%.3f / %.3f / %.3f ms", relayAdded.get("p50Ms"), relayAdded.get("p99Ms"),
                        relayAdded.get("p999Ms")), "", null));
        if (nginx != null) {
            Map<String, Double> nginxAdded = added(directLatency, nginxLatency);
            latency.put("nginx", percentiles(nginxLatency));
            latency.put("nginxAdded", nginxAdded);
            table.add(new Row(nginxRow(),
                    String.format(Locale.ROOT, "%.3f / %.3f / %.3f ms", nginxAdded.get("p50Ms"),
                            nginxAdded.get("p99Ms"), nginxAdded.get("p999Ms")), "", null));
        }
    }

    private void throughput(byte[] direct, byte[] through) throws Exception {
        int rounds = options.rounds(5, 2);
        Duration round = options.round(3, 1.5);
        say("Saturated throughput, %d connections, %d × %.1f s alternating…", CONNECTIONS, rounds,
                round.toMillis() / 1000.0);
        CpuClock cpu = new CpuClock();
        long directCount = 0;
        long relayCount = 0;
        long eventLoopRelayCount = 0;
        long nginxCount = 0;
        long rotorCount = 0;
        long errors = 0;
        Histogram rotorLatency = Load.histogram();
        Map<String, Double> directCpu = new LinkedHashMap<>();
        Map<String, Double> relayCpu = new LinkedHashMap<>();
        Map<String, Double> eventLoopRelayCpu = new LinkedHashMap<>();
        Map<String, Double> nginxCpu = new LinkedHashMap<>();
        Map<String, Double> rotorCpu = new LinkedHashMap<>();
        for (int i = 0; i < rounds; i++) {
            cpu.lap();
            Load.Throughput d = Load.closedLoop(fake, new byte[][] {direct}, CONNECTIONS, round);
            directCpu = cpu.lap();
            Load.Throughput bare = Load.closedLoop(relay, new byte[][] {direct}, CONNECTIONS, round);
            relayCpu = cpu.lap();
            Load.Throughput looped = Load.closedLoop(eventLoopRelay, new byte[][] {direct}, CONNECTIONS, round);
            eventLoopRelayCpu = cpu.lap();
            if (nginx != null) {
                Load.Throughput proxied = Load.closedLoop(nginx.address(), new byte[][] {direct}, CONNECTIONS, round);
                nginxCpu = cpu.lap();
                nginxCount += proxied.requests();
                errors += proxied.errors();
            }
            Load.Throughput r = Load.closedLoop(rotor, new byte[][] {through}, CONNECTIONS, round);
            rotorCpu = cpu.lap();
            directCount += d.requests();
            relayCount += bare.requests();
            eventLoopRelayCount += looped.requests();
            rotorCount += r.requests();
            errors += d.errors() + bare.errors() + looped.errors() + r.errors();
            rotorLatency.add(r.latency());
        }
        double seconds = rounds * round.toNanos() / 1e9;
        double directRps = directCount / seconds;
        double relayRps = relayCount / seconds;
        double eventLoopRelayRps = eventLoopRelayCount / seconds;
        double rotorRps = rotorCount / seconds;
        Map<String, Object> throughput = new LinkedHashMap<>();
        throughput.put("connections", CONNECTIONS);
        throughput.put("directRps", directRps);
        throughput.put("rotorRps", rotorRps);
        throughput.put("ratio", rotorRps / directRps);
        throughput.put("relayRps", relayRps);
        throughput.put("relayRatio", relayRps / directRps);
        throughput.put("eventLoopRelayRps", eventLoopRelayRps);
        throughput.put("eventLoopRelayRatio", eventLoopRelayRps / directRps);
        double nginxRps = nginxCount / seconds;
        if (nginx != null) {
            throughput.put("nginxRps", nginxRps);
            throughput.put("nginxRatio", nginxRps / directRps);
            throughput.put("cpuShareNginxRound", nginxCpu);
        }
        throughput.put("errors", errors);
        throughput.put("rotorServiceTime", percentiles(rotorLatency));
        throughput.put("cpuShareDirectRound", directCpu);
        throughput.put("cpuShareRelayRound", relayCpu);
        throughput.put("cpuShareEventLoopRelayRound", eventLoopRelayCpu);
        throughput.put("cpuShareRotorRound", rotorCpu);
        results.put("throughput", throughput);
        table.add(new Row("fake upstream's ceiling: direct, " + CONNECTIONS + " connections",
                String.format(Locale.ROOT, "%,.0f req/s", directRps), "", null));
        table.add(new Row("saturated throughput through Rotor / direct",
                String.format(Locale.ROOT, "%.2f (%,.0f req/s)", rotorRps / directRps, rotorRps), "≥ 0.5",
                rotorRps / directRps >= 0.5));
        table.add(new Row("  the same, bare TCP relay (floor for any proxy)",
                String.format(Locale.ROOT, "%.2f (%,.0f req/s)", relayRps / directRps, relayRps), "", null));
        table.add(new Row("  the same, bare TCP relay on event loops",
                String.format(Locale.ROOT, "%.2f (%,.0f req/s)", eventLoopRelayRps / directRps, eventLoopRelayRps), "",
                null));
        if (nginx != null) {
            table.add(new Row(nginxRow(),
                    String.format(Locale.ROOT, "%.2f (%,.0f req/s)", nginxRps / directRps, nginxRps), "", null));
        }
        say("  direct %,.0f req/s, bare relay %,.0f req/s, on event loops %,.0f req/s, Rotor %,.0f req/s; last rounds'"
                + " CPU: direct %s, relay %s, on event loops %s, Rotor %s", directRps, relayRps, eventLoopRelayRps,
                rotorRps, directCpu, relayCpu, eventLoopRelayCpu, rotorCpu);
        if (nginx != null) {
            say("  nginx %,.0f req/s; last round's CPU %s", nginxRps, nginxCpu);
        }
    }

    private void sse(String userKey) throws Exception {
        Duration each = options.round(30, 4);
        String body = "{\"model\":\"" + FakeUpstream.streamModel(STREAM_EVENTS, STREAM_GAP_MS)
                + "\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
        byte[] direct = HttpConnection.request("POST", fake, "/v1/chat/completions", null, body);
        byte[] through = HttpConnection.request("POST", rotor, "/v1/chat/completions", "Bearer " + userKey, body);
        say("Server-sent events: %d events %d ms apart, %d streams/s, one at a time, %.0f s each for the fake%s and"
                + " Rotor in turns of %d ms (with plain requests at the same rate in the same turns)…",
                STREAM_EVENTS, STREAM_GAP_MS, STREAM_RATE, each.toMillis() / 1000.0, nginx == null ? "" : ", nginx",
                SLOW_INTERLEAVE.toMillis());
        Histogram directFirst = Load.histogram();
        Histogram directGaps = Load.histogram();
        Histogram rotorFirst = Load.histogram();
        Histogram rotorGaps = Load.histogram();
        // Plain requests at the same low rate, in the same turns: at 50 a second the machine idles between
        // requests, and what a hop adds then includes waking its process on an idle CPU.
        byte[] plainDirect = HttpConnection.request("POST", fake, "/v1/chat/completions", null, BODY);
        byte[] plainThrough = HttpConnection.request("POST", rotor, "/v1/chat/completions", "Bearer " + userKey, BODY);
        Histogram plainDirectLatency = Load.histogram();
        Histogram plainRotorLatency = Load.histogram();
        // The stream path's own code (a chunked answer, a flush after each read) runs only for streams, and the
        // JIT compiles it fully only after thousands of them: warmed like the plain path, until steady.
        List<WarmUp> streamWarmUps = new ArrayList<>(List.of(new WarmUp("rotor", rotor, new byte[][] {through}),
                new WarmUp("direct", fake, new byte[][] {direct})));
        if (nginx != null) {
            streamWarmUps.add(new WarmUp("nginx", nginx.address(), new byte[][] {direct}));
        }
        warmUntilSteady(streamWarmUps, options.round(2, 1), options.round(60, 15));
        Load.fixedRate(new Load.Stream(rotor, through, Load.histogram(), Load.histogram()), STREAM_RATE,
                options.round(1, 0.5));
        List<Load.Target> targets = new ArrayList<>(List.of(new Load.Stream(fake, direct, directFirst, directGaps),
                new Load.Stream(rotor, through, rotorFirst, rotorGaps),
                new Load.Call(fake, plainDirect, plainDirectLatency),
                new Load.Call(rotor, plainThrough, plainRotorLatency)));
        Histogram nginxFirst = Load.histogram();
        Histogram nginxGaps = Load.histogram();
        if (nginx != null) {
            targets.add(new Load.Stream(nginx.address(), direct, nginxFirst, nginxGaps));
        }
        long errors = Load.fixedRate(targets, STREAM_RATE, each, SLOW_INTERLEAVE);
        Map<String, Object> sse = new LinkedHashMap<>();
        sse.put("eventsPerStream", STREAM_EVENTS);
        sse.put("gapMs", STREAM_GAP_MS);
        sse.put("streamsEach", rotorFirst.getTotalCount());
        sse.put("warmUpSeconds", streamWarmUps.getFirst().seconds(options.round(2, 1)));
        sse.put("errorsWithPlainRequests", errors);
        sse.put("directFirstEvent", percentiles(directFirst));
        sse.put("rotorFirstEvent", percentiles(rotorFirst));
        sse.put("directGap", percentiles(directGaps));
        sse.put("rotorGap", percentiles(rotorGaps));
        Map<String, Double> firstAdded = added(directFirst, rotorFirst);
        Map<String, Double> gapAdded = added(directGaps, rotorGaps);
        sse.put("addedFirstEvent", firstAdded);
        sse.put("addedGap", gapAdded);
        Map<String, Double> plainAdded = added(plainDirectLatency, plainRotorLatency);
        sse.put("plainRequestsAddedAtThisRate", plainAdded);
        results.put("sse", sse);
        table.add(new Row("SSE added time to first event: p50 / p99",
                String.format(Locale.ROOT, "%.3f / %.3f ms", firstAdded.get("p50Ms"), firstAdded.get("p99Ms")),
                "p99 ≤ 1 ms", firstAdded.get("p99Ms") <= 1.0));
        if (nginx != null) {
            Map<String, Double> nginxFirstAdded = added(directFirst, nginxFirst);
            sse.put("nginxFirstEvent", percentiles(nginxFirst));
            sse.put("nginxAddedFirstEvent", nginxFirstAdded);
            sse.put("nginxAddedGap", added(directGaps, nginxGaps));
            table.add(new Row(nginxRow(),
                    String.format(Locale.ROOT, "%.3f / %.3f ms", nginxFirstAdded.get("p50Ms"),
                            nginxFirstAdded.get("p99Ms")), "", null));
        }
        table.add(new Row("SSE added gap between events: p50 / p99",
                String.format(Locale.ROOT, "%.3f / %.3f ms", gapAdded.get("p50Ms"), gapAdded.get("p99Ms")), "", null));
        table.add(new Row(String.format(Locale.ROOT, "  plain requests added at the same %d/s: p50 / p99", STREAM_RATE),
                String.format(Locale.ROOT, "%.3f / %.3f ms", plainAdded.get("p50Ms"), plainAdded.get("p99Ms")), "",
                null));
    }

    private void heldStreams(String userKey) throws Exception {
        int events = options.quick() ? 24 : 40;
        int gapMs = 500;
        String body = "{\"model\":\"" + FakeUpstream.streamModel(events, gapMs)
                + "\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
        byte[] through = HttpConnection.request("POST", rotor, "/v1/chat/completions", "Bearer " + userKey, body);
        say("Holding %,d streams open through Rotor (%d events %d ms apart each)…", HELD_STREAMS, events, gapMs);
        long pid = rotorProcess.pid();
        Processes.sleepMillis(1_000);
        long heapBefore = Processes.heapUsedAfterGcKiB(pid);
        Processes.sleepMillis(500);
        long rssBefore = Processes.rssKiB(pid);
        Load.HeldStreams held = Load.holdStreams(rotor, through, HELD_STREAMS, 500, events + 1);
        boolean allStarted = held.allStarted.await(60, TimeUnit.SECONDS);
        long heapHeld = Processes.heapUsedAfterGcKiB(pid);
        Processes.sleepMillis(500);
        long rssHeld = Processes.rssKiB(pid);
        int open = held.started.get() - (HELD_STREAMS - (int) held.allEnded.getCount());
        boolean allEnded = held.allEnded.await(events * gapMs / 1000 + 120, TimeUnit.SECONDS);
        double heapPerStream = (heapHeld - heapBefore) / (double) HELD_STREAMS;
        double rssPerStream = (rssHeld - rssBefore) / (double) HELD_STREAMS;
        Map<String, Object> streams = new LinkedHashMap<>();
        streams.put("streams", HELD_STREAMS);
        streams.put("allStarted", allStarted);
        streams.put("openWhenMeasured", open);
        streams.put("allEnded", allEnded);
        streams.put("errors", held.errors.get());
        streams.put("firstErrors", held.failures);
        streams.put("heapBeforeKiB", heapBefore);
        streams.put("heapHeldKiB", heapHeld);
        streams.put("heapPerStreamKiB", heapPerStream);
        streams.put("rssBeforeKiB", rssBefore);
        streams.put("rssHeldKiB", rssHeld);
        streams.put("rssPerStreamKiB", rssPerStream);
        results.put("heldStreams", streams);
        boolean met = allStarted && allEnded && held.errors.get() == 0 && heapPerStream <= 64 && rssPerStream <= 64;
        table.add(new Row(String.format(Locale.ROOT, "%,d open streams: errors; heap / RSS per stream", HELD_STREAMS),
                String.format(Locale.ROOT, "%d; %.1f / %.1f KiB", held.errors.get(), heapPerStream, rssPerStream),
                "0; ≤ 64 KiB", met));
        say("  %d errors%s; heap %+,d KiB, RSS %+,d KiB with %,d open", held.errors.get(),
                held.failures.isEmpty() ? "" : " " + held.failures, heapHeld - heapBefore, rssHeld - rssBefore, open);
    }

    private void scale(AdminClient admin) throws Exception {
        say("Scale: creating pools of %,d and %,d accounts and %,d users through the admin API…", FEW, MANY, MANY);
        long started = System.nanoTime();
        admin.addAccounts("fake", "scale-few", FEW);
        admin.addAccounts("fake", "scale-many", MANY);
        admin.addAccounts("fake", "script-few", FEW);
        List<String> fewKey = admin.addUsers("scale-few", 1);
        List<String> manyKey = admin.addUsers("scale-many", 1);
        List<String> scriptKey = admin.addUsers("script-few", 1);
        List<String> users = admin.addUsers("default", MANY);
        double setupSeconds = (System.nanoTime() - started) / 1e9;
        say("  created in %.1f s", setupSeconds);
        Map<String, Object> scale = new LinkedHashMap<>();
        scale.put("setupSeconds", setupSeconds);
        results.put("scale", scale);

        byte[][] few = {HttpConnection.request("POST", rotor, "/v1/chat/completions", "Bearer " + fewKey.get(0), BODY)};
        byte[][] many = {HttpConnection.request("POST", rotor, "/v1/chat/completions", "Bearer " + manyKey.get(0), BODY)};
        // Creating 20,000 records leaves the store's first big flushes, fresh code paths and a resized heap
        // behind; measured at once, the first strategy came out up to 0.3 lower than when measured later.
        say("  settling: both pools under load for %.0f s before measuring…", options.round(10, 5).toMillis() / 1000.0);
        Load.closedLoop(rotor, many, CONNECTIONS, options.round(5, 2.5));
        Load.closedLoop(rotor, few, CONNECTIONS, options.round(5, 2.5));
        Map<String, Object> strategies = new LinkedHashMap<>();
        for (String strategy : options.strategies()) {
            admin.setPool("scale-few", "{\"strategy\":\"" + strategy + "\"}");
            admin.setPool("scale-many", "{\"strategy\":\"" + strategy + "\"}");
            Paired rps = alternate(few, many);
            strategies.put(strategy, ratio(rps, "rps" + FEW + "Accounts", "rps" + MANY + "Accounts"));
            table.add(new Row(String.format(Locale.ROOT, "%,d / %,d accounts, %s", MANY, FEW, strategy),
                    rps.describe(), "≥ 0.95", rps.ratio() >= 0.95));
        }
        scale.put("accountsByStrategy", strategies);

        byte[][] tenUsers = new byte[FEW][];
        for (int i = 0; i < FEW; i++) {
            tenUsers[i] = HttpConnection.request("POST", rotor, "/v1/chat/completions", "Bearer " + users.get(i), BODY);
        }
        byte[][] allUsers = new byte[MANY][];
        for (int i = 0; i < MANY; i++) {
            allUsers[i] = HttpConnection.request("POST", rotor, "/v1/chat/completions", "Bearer " + users.get(i), BODY);
        }
        Paired userRps = alternate(tenUsers, allUsers);
        scale.put("users", ratio(userRps, "rps" + FEW + "Users", "rps" + MANY + "Users"));
        table.add(new Row(String.format(Locale.ROOT, "%,d / %,d users", MANY, FEW), userRps.describe(), "≥ 0.95",
                userRps.ratio() >= 0.95));

        scripts(admin, scale, fewKey.get(0), scriptKey.get(0));
    }

    private void scripts(AdminClient admin, Map<String, Object> scale, String roundRobinKey, String scriptKey)
            throws Exception {
        Path example = distribution.resolve("plugins/examples").resolve(SCRIPT_SOURCE);
        Files.copy(example, work.resolve("plugins").resolve(SCRIPT + ".js"));
        admin.setPool("scale-few", "{\"strategy\":\"round-robin\"}");
        // The folder is watched twice a second; the strategy exists once the file read the same twice.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!admin.send("GET", "/admin/pools", null, 200).contains("\"" + SCRIPT + "\"")
                || !poolUses(admin, "script-few")) {
            admin.setPool("script-few", "{\"strategy\":\"" + SCRIPT + "\"}");
            if (System.nanoTime() > deadline) {
                throw new IOException("the script strategy was not registered within 30 s");
            }
            Processes.sleepMillis(250);
        }
        byte[][] roundRobin = {HttpConnection.request("POST", rotor, "/v1/chat/completions",
                "Bearer " + roundRobinKey, BODY)};
        byte[][] script = {HttpConnection.request("POST", rotor, "/v1/chat/completions", "Bearer " + scriptKey, BODY)};
        say("  script strategy %s (%s) against round-robin, %d accounts each…", SCRIPT, SCRIPT_SOURCE, FEW);
        // The first script pick starts GraalJS; give it time and traffic to warm up.
        Load.closedLoop(rotor, script, CONNECTIONS, options.round(5, 3));
        Paired rps = alternate(roundRobin, script);
        Map<String, Object> ratio = ratio(rps, "rpsRoundRobin", "rpsScript");
        ratio.put("script", SCRIPT_SOURCE);
        scale.put("script", ratio);
        table.add(new Row("script strategy / round-robin (" + SCRIPT_SOURCE + ", " + FEW + " accounts)",
                rps.describe(), "", null));
    }

    private static boolean poolUses(AdminClient admin, String pool) throws Exception {
        String pools = admin.send("GET", "/admin/pools", null, 200);
        int at = pools.indexOf("\"name\":\"" + pool + "\"");
        if (at < 0) {
            return false;
        }
        int next = pools.indexOf("\"name\":", at + 1);
        String entry = pools.substring(at, next < 0 ? pools.length() : next);
        return entry.contains("\"activeStrategy\":\"" + SCRIPT + "\"");
    }

    /**
     * Rates of two request sets measured in alternating rounds, and the ratio second / first of each
     * pair of rounds run back to back.
     */
    record Paired(double firstRps, double secondRps, List<Double> ratios) {

        /**
         * The median of the pairs' ratios: one round disturbed by something else on the machine (a
         * neighbour's burst, a collection, a store flush) moves it less than it moves the ratio of the sums.
         */
        double ratio() {
            List<Double> sorted = ratios.stream().sorted().toList();
            int middle = sorted.size() / 2;
            return sorted.size() % 2 == 1 ? sorted.get(middle) : (sorted.get(middle - 1) + sorted.get(middle)) / 2;
        }

        String describe() {
            List<Double> sorted = ratios.stream().sorted().toList();
            return String.format(Locale.ROOT, "%.2f (%.2f–%.2f)", ratio(), sorted.get(0), sorted.get(sorted.size() - 1));
        }
    }

    /** Alternates closed-loop rounds of two request sets, warm-up excluded. */
    private Paired alternate(byte[][] first, byte[][] second) throws Exception {
        // A strategy's code is compiled once it serves: both loads first run until their rates stop rising.
        warmUntilSteady(List.of(new WarmUp("first", rotor, first), new WarmUp("second", rotor, second)),
                options.round(1.5, 0.75), options.round(30, 8));
        // Short rounds, many pairs: this machine's speed drifts over seconds, so the two rounds of a pair
        // sit closer together in time, and the median of 18 pairs is moved less by a few disturbed ones.
        int rounds = options.rounds(18, 4);
        Duration round = options.round(1, 0.75);
        long a = 0;
        long b = 0;
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            long roundA;
            long roundB;
            // Which one goes first alternates, so a drift over the rounds favours neither.
            if (i % 2 == 0) {
                roundA = Load.closedLoop(rotor, first, CONNECTIONS, round).requests();
                roundB = Load.closedLoop(rotor, second, CONNECTIONS, round).requests();
            } else {
                roundB = Load.closedLoop(rotor, second, CONNECTIONS, round).requests();
                roundA = Load.closedLoop(rotor, first, CONNECTIONS, round).requests();
            }
            a += roundA;
            b += roundB;
            ratios.add((double) roundB / Math.max(1, roundA));
        }
        double seconds = rounds * round.toNanos() / 1e9;
        return new Paired(a / seconds, b / seconds, List.copyOf(ratios));
    }

    private static Map<String, Object> ratio(Paired paired, String firstName, String secondName) {
        Map<String, Object> ratio = new LinkedHashMap<>();
        ratio.put(firstName, paired.firstRps());
        ratio.put(secondName, paired.secondRps());
        ratio.put("ratio", paired.ratio());
        ratio.put("ratioOfSums", paired.secondRps() / paired.firstRps());
        ratio.put("roundRatios", paired.ratios());
        return ratio;
    }

    private void pinning() throws Exception {
        Path recording = work.resolve("pinning-dump.jfr");
        Processes.run(Processes.jcmd(), Long.toString(rotorProcess.pid()), "JFR.dump", "name=pinning",
                "filename=" + recording);
        Map<String, Object> summary = Pinning.summarize(recording);
        results.put("virtualThreadPinning", summary);
        table.add(new Row("JFR jdk.VirtualThreadPinned events, whole run", String.valueOf(summary.get("events")), "",
                null));
        if (options.profile()) {
            Processes.run(Processes.jcmd(), Long.toString(rotorProcess.pid()), "JFR.dump", "name=profile",
                    "filename=" + options.out().resolve("rotor-profile.jfr"));
        }
    }

    /** The same measurements for the Portkey gateway against the same fake, in rounds alternating with Rotor's. */
    private void peers(String userKey) throws Exception {
        say("Peers: installing %s with npm into the run's folder…", Portkey.PACKAGE);
        try (Portkey portkey = Portkey.start(work.resolve("portkey"), work.resolve("portkey.log"))) {
            InetSocketAddress address = portkey.address();
            byte[] direct = HttpConnection.request("POST", fake, "/v1/chat/completions", null, BODY);
            byte[] through = HttpConnection.request("POST", rotor, "/v1/chat/completions", "Bearer " + userKey, BODY);
            byte[] peer = Portkey.request(address, fakePort, BODY);
            try (HttpConnection probe = new HttpConnection(address, 10_000)) {
                int status = probe.call(peer);
                if (status != 200) {
                    throw new IOException("Portkey answered " + status + " through its custom host; see "
                            + work.resolve("portkey.log"));
                }
            }
            say("  Portkey %s listening after %.2f s; warming up…", portkey.version(), portkey.startup().toMillis() / 1e3);
            for (int i = 0; i < options.rounds(3, 2); i++) {
                Load.closedLoop(address, new byte[][] {peer}, CONNECTIONS, options.round(2, 1.5));
            }
            Map<String, Object> result = new LinkedHashMap<>();
            List<Row> streamRows = new ArrayList<>();
            result.put("package", Portkey.PACKAGE + "@" + portkey.version());
            result.put("startupMs", portkey.startup().toNanos() / 1e6);

            int rounds = options.rounds(10, 3);
            Duration round = options.round(2, 1);
            Histogram directLatency = Load.histogram();
            Histogram rotorLatency = Load.histogram();
            Histogram peerLatency = Load.histogram();
            Load.fixedRate(List.of(new Load.Call(fake, direct, directLatency), new Load.Call(rotor, through, rotorLatency),
                    new Load.Call(address, peer, peerLatency)), LATENCY_RATE, round.multipliedBy(rounds), INTERLEAVE);
            Map<String, Double> rotorAdded = added(directLatency, rotorLatency);
            Map<String, Double> peerAdded = added(directLatency, peerLatency);
            result.put("latencyAddedPortkey", peerAdded);
            result.put("latencyAddedRotor", rotorAdded);

            long rotorCount = 0;
            long peerCount = 0;
            Duration throughputRound = options.round(3, 1.5);
            for (int i = 0; i < options.rounds(5, 2); i++) {
                rotorCount += Load.closedLoop(rotor, new byte[][] {through}, CONNECTIONS, throughputRound).requests();
                peerCount += Load.closedLoop(address, new byte[][] {peer}, CONNECTIONS, throughputRound).requests();
            }
            result.put("throughputRotorRps", rotorCount / (options.rounds(5, 2) * throughputRound.toNanos() / 1e9));
            result.put("throughputPortkeyRps", peerCount / (options.rounds(5, 2) * throughputRound.toNanos() / 1e9));

            String streamBody = "{\"model\":\"" + FakeUpstream.streamModel(STREAM_EVENTS, STREAM_GAP_MS)
                    + "\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
            byte[] directStream = HttpConnection.request("POST", fake, "/v1/chat/completions", null, streamBody);
            byte[] rotorStream = HttpConnection.request("POST", rotor, "/v1/chat/completions", "Bearer " + userKey,
                    streamBody);
            byte[] peerStream = Portkey.request(address, fakePort, streamBody);
            int streamStatus;
            try (HttpConnection probe = new HttpConnection(address, 10_000)) {
                streamStatus = probe.stream(peerStream, (index, at) -> { });
            }
            result.put("streamProbeStatus", streamStatus);
            if (streamStatus != 200) {
                say("  Portkey answers a streamed request with HTTP %d (see %s); no stream figures for it", streamStatus,
                        work.resolve("portkey.log"));
                streamRows.add(new Row("Portkey: streamed requests", "fail: HTTP " + streamStatus,
                        "", null));
            }
            Histogram directFirst = Load.histogram();
            Histogram rotorFirst = Load.histogram();
            Histogram peerFirst = Load.histogram();
            if (streamStatus == 200) {
                Load.fixedRate(List.of(new Load.Stream(fake, directStream, directFirst, Load.histogram()),
                        new Load.Stream(rotor, rotorStream, rotorFirst, Load.histogram()),
                        new Load.Stream(address, peerStream, peerFirst, Load.histogram())), STREAM_RATE,
                        round.multipliedBy(rounds), SLOW_INTERLEAVE);
                result.put("sseFirstEventAddedPortkey", added(directFirst, peerFirst));
                result.put("sseFirstEventAddedRotor", added(directFirst, rotorFirst));
            }

            int events = options.quick() ? 24 : 40;
            byte[] slow = Portkey.request(address, fakePort, "{\"model\":\"" + FakeUpstream.streamModel(events, 500)
                    + "\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}");
            if (streamStatus == 200) {
                long rssBefore = Processes.rssKiB(portkey.pid());
                Load.HeldStreams held = Load.holdStreams(address, slow, HELD_STREAMS, 500, events + 1);
                boolean started = held.allStarted.await(60, TimeUnit.SECONDS);
                Processes.sleepMillis(1_000);
                long rssHeld = Processes.rssKiB(portkey.pid());
                held.allEnded.await(events / 2 + 120, TimeUnit.SECONDS);
                result.put("heldStreamsErrors", held.errors.get());
                result.put("heldStreamsFirstErrors", held.failures);
                result.put("heldStreamsAllStarted", started);
                result.put("rssPerStreamKiB", (rssHeld - rssBefore) / (double) HELD_STREAMS);
                streamRows.add(new Row("Portkey: SSE added time to first event p99 (Rotor's)",
                        String.format(Locale.ROOT, "%.3f ms (%.3f)", added(directFirst, peerFirst).get("p99Ms"),
                                added(directFirst, rotorFirst).get("p99Ms")), "", null));
                streamRows.add(new Row("Portkey: RSS per open stream; errors", String.format(Locale.ROOT, "%.1f KiB; %d",
                        (Double) result.get("rssPerStreamKiB"), held.errors.get()), "", null));
            }
            results.put("peers", Map.of("portkey", result));

            double throughputRatio = (double) peerCount / rotorCount;
            table.add(new Row("Portkey " + portkey.version() + ": added latency p50 / p99 (Rotor's in the same rounds)",
                    String.format(Locale.ROOT, "%.3f / %.3f ms (%.3f / %.3f)", peerAdded.get("p50Ms"),
                            peerAdded.get("p99Ms"), rotorAdded.get("p50Ms"), rotorAdded.get("p99Ms")), "", null));
            table.add(new Row("Portkey: saturated throughput, as a fraction of Rotor's",
                    String.format(Locale.ROOT, "%.2f (%,.0f req/s)", throughputRatio,
                            (Double) result.get("throughputPortkeyRps")), "", null));
            table.addAll(streamRows);
            table.add(new Row("Portkey: start to listening", String.format(Locale.ROOT, "%.2f s",
                    portkey.startup().toMillis() / 1e3), "", null));
        }
    }

    // ---------------------------------------------------------------- output

    private void finish() throws IOException {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Row row : table) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("figure", row.figure());
            json.put("measured", row.measured());
            json.put("target", row.target());
            json.put("met", row.met());
            rows.add(json);
        }
        results.put("table", rows);
        Path json = options.out().resolve("results.json");
        Files.writeString(json, Json.write(results));
        int figureWidth = width("figure", Row::figure);
        int measuredWidth = width("measured", Row::measured);
        int targetWidth = width("target", Row::target);
        StringBuilder out = new StringBuilder("\n");
        String format = "| %-" + figureWidth + "s | %-" + measuredWidth + "s | %-" + targetWidth + "s | %-4s |%n";
        out.append(String.format(format, "figure", "measured", "target", "met"));
        out.append(String.format(format, "-".repeat(figureWidth), "-".repeat(measuredWidth), "-".repeat(targetWidth),
                "----"));
        for (Row row : table) {
            out.append(String.format(format, row.figure(), row.measured(), row.target(),
                    row.met() == null ? "" : row.met() ? "yes" : "NO"));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> machine = (Map<String, Object>) results.get("machine");
        out.append(String.format(Locale.ROOT, "%nLoad average at start %s, at end %s. Figures: %s%n",
                Arrays.toString((double[]) machine.get("loadAverageAtStart")),
                Arrays.toString((double[]) machine.get("loadAverageAtEnd")), json));
        System.out.print(out);
    }

    void stopAll() {
        if (rotorProcess != null) {
            rotorProcess.close();
        }
        if (fakeProcess != null) {
            fakeProcess.close();
        }
        if (relayProcess != null) {
            relayProcess.close();
        }
        if (eventLoopRelayProcess != null) {
            eventLoopRelayProcess.close();
        }
        if (nginx != null) {
            nginx.close();
        }
        try (Stream<Path> paths = Files.walk(work)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a leftover temp folder is harmless
        }
    }

    /** A column's width: its longest cell, or its heading when every cell is shorter (or empty). */
    private int width(String heading, Function<Row, String> cell) {
        return Math.max(heading.length(), table.stream().mapToInt(row -> cell.apply(row).length()).max().orElse(0));
    }

    /** The rest of the last line of a file that starts with {@code prefix}, or "" if none does. */
    private static String lastLine(Path file, String prefix) throws IOException {
        String found = "";
        for (String line : Files.readAllLines(file)) {
            if (line.startsWith(prefix)) {
                found = line.substring(prefix.length());
            }
        }
        return found;
    }

    static Map<String, Double> percentiles(Histogram histogram) {
        Map<String, Double> percentiles = new LinkedHashMap<>();
        percentiles.put("p50Ms", histogram.getValueAtPercentile(50) / 1e6);
        percentiles.put("p99Ms", histogram.getValueAtPercentile(99) / 1e6);
        percentiles.put("p999Ms", histogram.getValueAtPercentile(99.9) / 1e6);
        percentiles.put("maxMs", histogram.getMaxValue() / 1e6);
        percentiles.put("meanMs", histogram.getMean() / 1e6);
        return percentiles;
    }

    /** Rotor's percentile minus the direct one, for each percentile. */
    static Map<String, Double> added(Histogram direct, Histogram rotor) {
        Map<String, Double> added = new LinkedHashMap<>();
        added.put("p50Ms", (rotor.getValueAtPercentile(50) - direct.getValueAtPercentile(50)) / 1e6);
        added.put("p99Ms", (rotor.getValueAtPercentile(99) - direct.getValueAtPercentile(99)) / 1e6);
        added.put("p999Ms", (rotor.getValueAtPercentile(99.9) - direct.getValueAtPercentile(99.9)) / 1e6);
        return added;
    }

    static void say(String format, Object... args) {
        System.out.println(String.format(Locale.ROOT, format, args));
        System.out.flush();
    }

    /** CPU time used by this process, the fake upstream and Rotor between laps, as shares of the machine. */
    private final class CpuClock {
        private long wall = System.nanoTime();
        private long[] last = ticks();

        Map<String, Double> lap() {
            long now = System.nanoTime();
            long[] ticks = ticks();
            double wallTicks = (now - wall) / 1e9 * 100 * Runtime.getRuntime().availableProcessors();
            Map<String, Double> share = new LinkedHashMap<>();
            share.put("client", Math.round((ticks[0] - last[0]) / wallTicks * 1000) / 1000.0);
            share.put("fake", Math.round((ticks[1] - last[1]) / wallTicks * 1000) / 1000.0);
            share.put("rotor", Math.round((ticks[2] - last[2]) / wallTicks * 1000) / 1000.0);
            share.put("relay", Math.round((ticks[3] - last[3]) / wallTicks * 1000) / 1000.0);
            share.put("eventLoopRelay", Math.round((ticks[4] - last[4]) / wallTicks * 1000) / 1000.0);
            share.put("nginx", Math.round((ticks[5] - last[5]) / wallTicks * 1000) / 1000.0);
            wall = now;
            last = ticks;
            return share;
        }

        private long[] ticks() {
            return new long[] {cpuTicks(ProcessHandle.current().pid()), cpuTicks(fakeProcess.pid()),
                    rotorProcess == null ? 0 : cpuTicks(rotorProcess.pid()),
                    relayProcess == null ? 0 : cpuTicks(relayProcess.pid()),
                    eventLoopRelayProcess == null ? 0 : cpuTicks(eventLoopRelayProcess.pid()),
                    nginx == null ? 0 : nginx.cpuTicks()};
        }
    }

    /** User plus system CPU time of a process, in clock ticks (1/100 s), from /proc. */
    static long cpuTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
