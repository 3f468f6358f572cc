package io.rotor.launcher;

import io.rotor.api.Account;
import io.rotor.api.AccountRuntime;
import io.rotor.api.AccountStats;
import io.rotor.api.AccountStatus;
import io.rotor.api.AccountStore;
import io.rotor.api.RateLimitState;
import io.rotor.api.StoreSnapshot;
import io.rotor.core.engine.internal.crypto.AesGcmSecretCipher;
import io.rotor.storage.json.internal.JsonAccountStore;
import io.rotor.storage.sqlite.internal.SqliteAccountStore;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

/**
 * Measures how each store's start-up, statistics flush and admin writes grow with the number of
 * accounts, and whether requests through the gateway slow down while the background flusher
 * writes. Not a test: it asserts nothing and is not run by {@code mvn verify}. Run it with the
 * README's command; arguments are account counts (default 100 1000 10000).
 */
public final class StoreBenchmark {

    private static final int RUNS = 5;
    private static final int REQUESTS = 2_000;
    private static final int CLIENTS = 8;

    private StoreBenchmark() {
    }

    private record Row(String store, int accounts, long fileBytes, double replaceAllMs, double loadMs,
            double startupMs, double flushAllMs, double flush100Ms, double adminWriteMs, double revisionUs,
            double p50Ms, double p99Ms, double maxMs, double requestsPerSecond) {
    }

    public static void main(String[] args) throws Exception {
        int[] sizes = args.length == 0 ? new int[] {100, 1_000, 10_000}
                : Arrays.stream(args).flatMap(arg -> Arrays.stream(arg.trim().split("[\\s,]+")))
                        .filter(arg -> !arg.isEmpty()).mapToInt(Integer::parseInt).toArray();
        Path root = Files.createTempDirectory("rotor-store-benchmark-");
        List<Row> rows = new ArrayList<>();
        try (FakeOpenAi upstream = new FakeOpenAi()) {
            for (String store : List.of("json", "sqlite")) {
                for (int size : sizes) {
                    System.err.println("measuring " + store + " with " + size + " accounts ...");
                    rows.add(measure(store, size, root.resolve(store + "-" + size), upstream));
                }
            }
        } finally {
            delete(root);
        }
        System.out.printf("%d cores, Java %s, %s%n%n", Runtime.getRuntime().availableProcessors(),
                Runtime.version(), System.getProperty("os.name"));
        System.out.println("| store | accounts | file | replaceAll (migrate in) | load: open + snapshot"
                + " | gateway start-up | flush, all changed | flush, 100 changed | one admin write | revision()"
                + " | requests during flushes: p50 / p99 / max | requests/s |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (Row r : rows) {
            System.out.printf("| %s | %,d | %s | %.1f ms | %.1f ms | %.0f ms | %.1f ms | %.1f ms | %.1f ms | %.1f µs"
                            + " | %.2f / %.2f / %.1f ms | %,.0f |%n",
                    r.store(), r.accounts(), size(r.fileBytes()), r.replaceAllMs(), r.loadMs(), r.startupMs(),
                    r.flushAllMs(), r.flush100Ms(), r.adminWriteMs(), r.revisionUs(), r.p50Ms(), r.p99Ms(), r.maxMs(),
                    r.requestsPerSecond());
        }
    }

    private static Row measure(String kind, int size, Path dir, FakeOpenAi upstream) throws Exception {
        Files.createDirectories(dir);
        Path file = dir.resolve(kind.equals("json") ? "data/accounts.json" : "data/rotor.db");
        Function<Path, AccountStore> open = kind.equals("json") ? JsonAccountStore::new : SqliteAccountStore::new;
        StoreSnapshot content = content(size, upstream);

        AccountStore seeded = open.apply(file);
        long start = System.nanoTime();
        seeded.replaceAll(content);
        double replaceAllMs = millisSince(start);
        close(seeded);

        double loadMs = median(() -> {
            AccountStore fresh = open.apply(file);
            long began = System.nanoTime();
            fresh.snapshot();
            long took = System.nanoTime() - began;
            close(fresh);
            return took;
        });
        AccountStore store = open.apply(file);
        store.snapshot();
        long[] round = {0};
        double flushAllMs = median(() -> timed(() -> store.saveRuntime(runtimes(content, ++round[0], size))));
        double flush100Ms = median(() -> timed(() -> store.saveRuntime(runtimes(content, ++round[0], 100))));
        Account changed = content.accounts().get(size / 2);
        int[] priority = {1};
        double adminWriteMs = median(() -> timed(() -> store.putAccount(new Account(changed.id(), changed.upstream(),
                changed.pool(), changed.name(), changed.status(), null, ++priority[0], changed.weight(),
                changed.tags(), 0, changed.createdAt(), null, null, changed.secrets(), changed.encryptionKeyId(),
                null, null))));
        int polls = 2_000;
        for (int i = 0; i < polls; i++) {
            store.revision(); // warm-up
        }
        long polled = System.nanoTime();
        for (int i = 0; i < polls; i++) {
            store.revision();
        }
        double revisionUs = (System.nanoTime() - polled) / 1_000.0 / polls;
        close(store);
        long fileBytes = Files.size(file);

        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("store", kind);
        settings.put("store.sqlite.path", "data/rotor.db");
        settings.put("upstream.fake.type", "openai");
        settings.put("upstream.fake.baseUrl", upstream.baseUrl());
        settings.put("upstream.fake.models", "fake-model");
        settings.put("rateLimit.perAccount", "0");
        try (RotorHarness rotor = new RotorHarness(dir, settings)) {
            long booting = System.nanoTime();
            rotor.start();
            double startupMs = millisSince(booting);
            String user = rotor.addUser("bench");
            send(rotor, user, 200);
            long serving = System.nanoTime();
            long[] latencies = send(rotor, user, REQUESTS);
            double seconds = (System.nanoTime() - serving) / 1e9;
            Arrays.sort(latencies);
            return new Row(kind, size, fileBytes, replaceAllMs, loadMs / 1e6, startupMs, flushAllMs / 1e6,
                    flush100Ms / 1e6, adminWriteMs / 1e6, revisionUs, percentile(latencies, 0.50),
                    percentile(latencies, 0.99), latencies[latencies.length - 1] / 1e6, REQUESTS / seconds);
        }
    }

    /** Sends requests from {@link #CLIENTS} threads; returns each one's latency in nanoseconds. */
    private static long[] send(RotorHarness rotor, String user, int requests) throws Exception {
        long[] latencies = new long[requests];
        try (ExecutorService clients = Executors.newFixedThreadPool(CLIENTS)) {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                int first = c;
                done.add(clients.submit(() -> {
                    for (int i = first; i < requests; i += CLIENTS) {
                        long began = System.nanoTime();
                        HttpResponse<String> response = rotor.chat(user, "fake-model", false);
                        latencies[i] = System.nanoTime() - began;
                        if (response.statusCode() != 200) {
                            throw new IllegalStateException("request failed: " + response.statusCode() + " "
                                    + response.body());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> future : done) {
                future.get();
            }
        }
        return latencies;
    }

    /** Accounts with encrypted keys the fake upstream knows, and some statistics. */
    private static StoreSnapshot content(int size, FakeOpenAi upstream) {
        AesGcmSecretCipher cipher = new AesGcmSecretCipher(RotorHarness.ENCRYPTION_KEY, Path.of("unused"));
        Instant created = Instant.parse("2026-01-01T00:00:00Z");
        List<Account> accounts = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            String id = "acc_bench_" + i;
            String key = "sk-bench-" + i;
            upstream.key(key, FakeOpenAi.KeyRule.unlimited());
            accounts.add(new Account(id, "fake", "default", "bench " + i, AccountStatus.ACTIVE, null, 1, 1,
                    List.of("bench", "tag" + (i % 10)), 0, created.plusSeconds(i), null, null,
                    Map.of(Account.SECRET_API_KEY, cipher.encrypt(key, id)), cipher.keyId(),
                    new AccountStats(i, i, 0, 0, created), RateLimitState.EMPTY));
        }
        return new StoreSnapshot(accounts, List.of(), List.of(), Map.of(), 0);
    }

    private static List<AccountRuntime> runtimes(StoreSnapshot content, long round, int count) {
        Instant now = Instant.now();
        List<AccountRuntime> runtimes = new ArrayList<>(count);
        for (Account account : content.accounts().subList(0, count)) {
            long total = account.stats().totalRequests() + round;
            runtimes.add(new AccountRuntime(account.id(), null, null, now, new AccountStats(total, total, 0, 0, now),
                    new RateLimitState((int) (round % 10), now, null)));
        }
        return runtimes;
    }

    private static long timed(Runnable action) {
        long began = System.nanoTime();
        action.run();
        return System.nanoTime() - began;
    }

    private static double median(LongSupplier run) {
        long[] times = new long[RUNS];
        for (int i = 0; i < RUNS; i++) {
            times[i] = run.getAsLong();
        }
        Arrays.sort(times);
        return times[RUNS / 2];
    }

    private static double percentile(long[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e6;
    }

    private static double millisSince(long start) {
        return (System.nanoTime() - start) / 1e6;
    }

    private static void close(AccountStore store) {
        if (store instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static String size(long bytes) {
        return bytes < 1 << 20 ? String.format("%.0f KiB", bytes / 1024.0) : String.format("%.1f MiB", bytes / 1048576.0);
    }

    private static void delete(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
