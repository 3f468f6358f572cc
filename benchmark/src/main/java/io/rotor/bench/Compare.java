package io.rotor.bench;

import static io.rotor.bench.Bench.say;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * Two of Rotor's distributions side by side against one fake upstream: {@code ./bench --against DIR}.
 * Both run at once and are measured in alternating rounds (which one goes first alternates), so a
 * drift of the shared machine favours neither. For each round it notes which one did better, because
 * on a noisy machine the count of rounds one side wins says more about a change than the two totals.
 *
 * <p>Measures, as {@code --only} selects: latency at one request in flight ({@code latency}),
 * saturated throughput and CPU per request ({@code throughput}), and an SSE stream's first event with
 * plain requests at the stream rate ({@code sse}). Writes {@code compare.json} beside the benchmark's
 * results.
 */
final class Compare {

    static final List<String> PHASES = List.of("latency", "throughput", "sse");

    private final Bench.Options options;
    private final Path work;
    private final Map<String, Object> results = new LinkedHashMap<>();
    private final List<Side> sides = new ArrayList<>();
    private Processes.Running fakeProcess;
    private InetSocketAddress fake;

    /** One distribution under test: its process, address and a request with its user's key. */
    private record Side(String name, Processes.Running process, InetSocketAddress address,
            byte[] request, String userKey) {
    }

    Compare(Bench.Options options) throws IOException {
        this.options = options;
        Files.createDirectories(options.out());
        this.work = Files.createTempDirectory("rotor-compare-");
    }

    void run() throws Exception {
        say("Comparing %s (this build) with %s: JDK %s, %d CPUs; work folder %s",
                options.root().resolve("launcher/target/rotor"), options.against(), Runtime.version(),
                Runtime.getRuntime().availableProcessors(), work);
        results.put("date", Instant.now().toString());
        results.put("this", options.root().resolve("launcher/target/rotor").toString());
        results.put("against", options.against().toString());
        int[] port = new int[1];
        fakeProcess = Processes.startFake(work.resolve("fake-upstream.log"), port);
        fake = new InetSocketAddress(InetAddress.getLoopbackAddress(), port[0]);
        sides.add(start("this", options.root().resolve("launcher/target/rotor")));
        sides.add(start("against", options.against()));

        Duration warmRound = options.round(2, 1);
        List<Bench.WarmUp> warmUps = sides.stream()
                .map(side -> new Bench.WarmUp(side.name(), side.address(), new byte[][] {side.request()})).toList();
        say("Warming both up until throughput stops rising…");
        Bench.warmUntilSteady(warmUps, warmRound, options.round(120, 30));
        for (Bench.WarmUp w : warmUps) {
            say("  %s: %s after %.0f s, %,.0f req/s", w.name(), w.steady() ? "steady" : "still rising",
                    w.seconds(warmRound), w.rates().getLast());
        }
        if (options.runs("latency")) {
            latency();
        }
        if (options.runs("throughput")) {
            throughput();
        }
        if (options.runs("sse")) {
            sse();
        }
        Path out = options.out().resolve("compare.json");
        Files.writeString(out, Json.write(results) + "\n");
        say("Written to %s", out);
    }

    void stopAll() {
        sides.forEach(side -> side.process().close());
        if (fakeProcess != null) {
            fakeProcess.close();
        }
    }

    private Side start(String name, Path distribution) throws Exception {
        if (!Files.isExecutable(distribution.resolve("bin/rotor"))) {
            throw new IllegalStateException("no Rotor distribution at " + distribution);
        }
        Path folder = Files.createDirectories(work.resolve(name));
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), Processes.freePort());
        String masterKey = Bench.newMasterKey();
        Path config = Bench.writeConfig(folder, address.getPort(), fake.getPort(), masterKey, Bench.newEncryptionKey());
        Processes.Running process = Processes.startRotor(distribution, config, folder.resolve("rotor.log"),
                System.getenv("ROTOR_JAVA_OPTS"));
        Processes.awaitHealthy(process, address, Duration.ofSeconds(60));
        AdminClient admin = new AdminClient(address, masterKey);
        admin.addAccounts("fake", "default", Bench.FEW);
        String userKey = admin.addUsers("default", 1).get(0);
        byte[] request = HttpConnection.request("POST", address, "/v1/chat/completions", "Bearer " + userKey,
                Bench.BODY);
        say("  %s: pid %d on port %d", name, process.pid(), address.getPort());
        return new Side(name, process, address, request, userKey);
    }

    /** Round {@code i}'s order of the two sides: each goes first in every other round. */
    private List<Side> order(int i) {
        return i % 2 == 0 ? sides : sides.reversed();
    }

    private void latency() throws Exception {
        int rounds = options.rounds(16, 4);
        Duration round = options.round(3, 1.5);
        say("Latency at one request in flight, %d req/s, %d rounds of %.1f s each, the builds in turns of %d ms…",
                Bench.LATENCY_RATE, rounds, round.toMillis() / 1e3, Bench.INTERLEAVE.toMillis());
        Map<String, Histogram> total = histograms();
        Wins p50 = new Wins();
        Wins p99 = new Wins();
        long errors = 0;
        for (int i = 0; i < rounds; i++) {
            Map<String, Histogram> each = histograms();
            List<Load.Target> targets = new ArrayList<>();
            for (Side side : sides) {
                targets.add(new Load.Call(side.address(), side.request(), each.get(side.name())));
            }
            errors += Load.fixedRate(targets, Bench.LATENCY_RATE, round, Bench.INTERLEAVE);
            p50.add(each, 50);
            p99.add(each, 99);
            each.forEach((name, histogram) -> total.get(name).add(histogram));
        }
        Map<String, Object> latency = percentilesOf(total);
        latency.put("thisLowerP50Rounds", p50.toString());
        latency.put("thisLowerP99Rounds", p99.toString());
        latency.put("errors", errors);
        results.put("latencyOneInFlight", latency);
        sayPercentiles("latency", total);
        say("  this build lower at p50 in %s rounds, at p99 in %s; %d errors", p50, p99, errors);
    }

    private void throughput() throws Exception {
        int rounds = options.rounds(12, 4);
        Duration round = options.round(3, 1.5);
        say("Saturated throughput, %d connections, %d rounds of %.1f s each…", Bench.CONNECTIONS, rounds,
                round.toMillis() / 1e3);
        Map<String, long[]> totals = new LinkedHashMap<>();
        Map<String, List<Map<String, Object>>> perRound = new LinkedHashMap<>();
        sides.forEach(side -> {
            totals.put(side.name(), new long[3]);
            perRound.put(side.name(), new ArrayList<>());
        });
        int thisHigher = 0;
        int thisCheaper = 0;
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            Map<String, double[]> measuredRound = new LinkedHashMap<>();
            for (Side side : order(i)) {
                long ticks = Bench.cpuTicks(side.process().pid());
                Load.Throughput measured = Load.closedLoop(side.address(), new byte[][] {side.request()},
                        Bench.CONNECTIONS, round);
                long used = Bench.cpuTicks(side.process().pid()) - ticks;
                long[] sum = totals.get(side.name());
                sum[0] += measured.requests();
                sum[1] += measured.errors();
                sum[2] += used;
                double cpu = cpuMicrosPerRequest(used, measured.requests());
                measuredRound.put(side.name(), new double[] {measured.perSecond(), cpu});
                Map<String, Object> one = new LinkedHashMap<>();
                one.put("rps", Math.round(measured.perSecond()));
                one.put("cpuMicrosPerRequest", Math.round(cpu * 10) / 10.0);
                perRound.get(side.name()).add(one);
            }
            double[] mine = measuredRound.get("this");
            double[] theirs = measuredRound.get("against");
            thisHigher += mine[0] > theirs[0] ? 1 : 0;
            thisCheaper += mine[1] < theirs[1] ? 1 : 0;
            if (theirs[0] > 0) {
                ratios.add(mine[0] / theirs[0]);
            }
        }
        double seconds = rounds * round.toNanos() / 1e9;
        Map<String, Object> throughput = new LinkedHashMap<>();
        for (Side side : sides) {
            long[] sum = totals.get(side.name());
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("rps", sum[0] / seconds);
            one.put("cpuMicrosPerRequest", cpuMicrosPerRequest(sum[2], sum[0]));
            one.put("errors", sum[1]);
            one.put("rounds", perRound.get(side.name()));
            throughput.put(side.name(), one);
            say("  %-8s %,9.0f req/s, %5.1f µs CPU per request, %d errors", side.name(), one.get("rps"),
                    one.get("cpuMicrosPerRequest"), sum[1]);
        }
        double medianRatio = ratios.isEmpty() ? Double.NaN : new Bench.Paired(0, 0, ratios).ratio();
        throughput.put("thisHigherRounds", thisHigher + " of " + rounds);
        throughput.put("thisCheaperRounds", thisCheaper + " of " + rounds);
        throughput.put("medianRoundRatio", medianRatio);
        results.put("throughput", throughput);
        say("  this build higher in %d of %d rounds (median ratio of a round's rates %.3f), less CPU per request "
                + "in %d", thisHigher, rounds, medianRatio, thisCheaper);
    }

    /** CPU per request from clock ticks of 10 ms each. */
    private static double cpuMicrosPerRequest(long ticks, long requests) {
        return ticks * 10_000.0 / Math.max(1, requests);
    }

    private void sse() throws Exception {
        int rounds = options.rounds(12, 4);
        Duration round = options.round(3, 1.5);
        String body = "{\"model\":\"" + FakeUpstream.streamModel(Bench.STREAM_EVENTS, Bench.STREAM_GAP_MS)
                + "\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
        say("Server-sent events and plain requests, %d/s each, one at a time, %d rounds of %.1f s each, in turns of"
                + " %d ms…", Bench.STREAM_RATE, rounds, round.toMillis() / 1e3, Bench.SLOW_INTERLEAVE.toMillis());
        Map<String, Histogram> first = histograms();
        Map<String, Histogram> plain = histograms();
        Wins firstP50 = new Wins();
        Wins firstP99 = new Wins();
        long errors = 0;
        for (int i = 0; i < rounds; i++) {
            Map<String, Histogram> eachFirst = histograms();
            Map<String, Histogram> eachPlain = histograms();
            List<Load.Target> targets = new ArrayList<>();
            for (Side side : sides) {
                byte[] stream = HttpConnection.request("POST", side.address(), "/v1/chat/completions",
                        "Bearer " + side.userKey(), body);
                targets.add(new Load.Stream(side.address(), stream, eachFirst.get(side.name()), Load.histogram()));
                targets.add(new Load.Call(side.address(), side.request(), eachPlain.get(side.name())));
            }
            errors += Load.fixedRate(targets, Bench.STREAM_RATE, round, Bench.SLOW_INTERLEAVE);
            firstP50.add(eachFirst, 50);
            firstP99.add(eachFirst, 99);
            eachFirst.forEach((name, histogram) -> first.get(name).add(histogram));
            eachPlain.forEach((name, histogram) -> plain.get(name).add(histogram));
        }
        Map<String, Object> sse = new LinkedHashMap<>();
        sse.put("firstEvent", percentilesOf(first));
        sse.put("plainRequests", percentilesOf(plain));
        sse.put("thisLowerFirstEventP50Rounds", firstP50.toString());
        sse.put("thisLowerFirstEventP99Rounds", firstP99.toString());
        sse.put("errors", errors);
        results.put("sse", sse);
        sayPercentiles("first event", first);
        sayPercentiles("plain", plain);
        say("  this build lower at the first event's p50 in %s rounds, at p99 in %s; %d errors", firstP50, firstP99,
                errors);
    }

    private Map<String, Histogram> histograms() {
        Map<String, Histogram> histograms = new LinkedHashMap<>();
        sides.forEach(side -> histograms.put(side.name(), Load.histogram()));
        return histograms;
    }

    private static Map<String, Object> percentilesOf(Map<String, Histogram> histograms) {
        Map<String, Object> percentiles = new LinkedHashMap<>();
        histograms.forEach((name, histogram) -> percentiles.put(name, Bench.percentiles(histogram)));
        return percentiles;
    }

    private static void sayPercentiles(String what, Map<String, Histogram> histograms) {
        histograms.forEach((name, histogram) -> {
            Map<String, Double> p = Bench.percentiles(histogram);
            say("  %-11s %-8s p50 %.3f, p99 %.3f, p99.9 %.3f ms (%,d samples)", what, name, p.get("p50Ms"),
                    p.get("p99Ms"), p.get("p999Ms"), histogram.getTotalCount());
        });
    }

    /** In how many rounds this build's percentile came out lower than the other's. */
    static final class Wins {
        private int lower;
        private int rounds;

        void add(Map<String, Histogram> round, double percentile) {
            rounds++;
            if (round.get("this").getValueAtPercentile(percentile)
                    < round.get("against").getValueAtPercentile(percentile)) {
                lower++;
            }
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d of %d", lower, rounds);
        }
    }
}
