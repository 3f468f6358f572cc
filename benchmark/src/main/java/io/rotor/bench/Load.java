package io.rotor.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * The load patterns: closed-loop saturation over many connections, and fixed arrival rate with one
 * exchange in flight, where latency is recorded from the time each request was meant to be sent, so a slow
 * response delays the ones behind it in the figures too (no coordinated omission).
 */
final class Load {

    /** Latencies up to a minute, three significant digits, in nanoseconds. */
    static final long HIGHEST_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final int READ_TIMEOUT_MS = 60_000;
    /** Park until this close to the intended send time, then spin: parking alone wakes tens of µs late. */
    private static final long SPIN_NANOS = 100_000;
    /** Fixed, so that two runs interleave their targets in the same orders. */
    private static final long ORDER_SEED = 20261207L;

    private Load() {
    }

    static Histogram histogram() {
        return new Histogram(HIGHEST_NANOS, 3);
    }

    /** What a closed-loop round achieved. */
    record Throughput(long requests, long errors, double seconds, Histogram latency) {
        double perSecond() {
            return requests / seconds;
        }
    }

    /**
     * Keeps {@code connections} connections busy for {@code duration}, each sending its next request
     * as soon as the last response ended; connection {@code c} sends {@code requests[c]},
     * {@code requests[c + connections]}, … cyclically.
     */
    static Throughput closedLoop(InetSocketAddress address, byte[][] requests, int connections, Duration duration)
            throws InterruptedException {
        LongAdder done = new LongAdder();
        LongAdder errors = new LongAdder();
        Histogram latency = histogram();
        CountDownLatch ready = new CountDownLatch(connections);
        CountDownLatch go = new CountDownLatch(1);
        long[] window = new long[2];
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            int first = c;
            threads.add(Thread.ofPlatform().name("load-" + c).daemon().start(() -> {
                Histogram mine = histogram();
                HttpConnection connection = null;
                try {
                    connection = new HttpConnection(address, READ_TIMEOUT_MS);
                } catch (IOException e) {
                    errors.increment();
                }
                ready.countDown();
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                long deadline = window[1];
                int next = first % requests.length;
                long ok = 0;
                while (true) {
                    long sent = System.nanoTime();
                    if (sent >= deadline) {
                        break;
                    }
                    try {
                        if (connection == null || !connection.isOpen()) {
                            if (connection != null) {
                                connection.close();
                            }
                            connection = new HttpConnection(address, READ_TIMEOUT_MS);
                        }
                        int status = connection.call(requests[next]);
                        long ended = System.nanoTime();
                        if (ended > deadline) {
                            break;
                        }
                        if (status == 200) {
                            ok++;
                            mine.recordValue(Math.min(ended - sent, HIGHEST_NANOS));
                        } else {
                            errors.increment();
                        }
                    } catch (IOException e) {
                        errors.increment();
                        if (connection != null) {
                            connection.close();
                        }
                        connection = null;
                    }
                    next = (next + connections) % requests.length;
                }
                done.add(ok);
                synchronized (latency) {
                    latency.add(mine);
                }
                if (connection != null) {
                    connection.close();
                }
            }));
        }
        ready.await();
        window[0] = System.nanoTime();
        window[1] = window[0] + duration.toNanos();
        go.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        return new Throughput(done.sum(), errors.sum(), duration.toNanos() / 1e9, latency);
    }

    /**
     * One side of a fixed-rate run: where its requests go, and one exchange with it on a connection of its
     * own, timed from the moment the exchange was meant to start.
     */
    sealed interface Target permits Call, Stream {
        InetSocketAddress address();

        /** One untimed exchange on a new connection: a new connection is not what this measures. */
        void warmUp(HttpConnection connection) throws IOException;

        /** One exchange meant to start at {@code intended} ({@link System#nanoTime()}); returns its status. */
        int exchange(HttpConnection connection, long intended) throws IOException;
    }

    /** A plain request, its latency from the intended send time to the end of its response. */
    record Call(InetSocketAddress address, byte[] request, Histogram latency) implements Target {
        @Override
        public void warmUp(HttpConnection connection) throws IOException {
            connection.call(request);
        }

        @Override
        public int exchange(HttpConnection connection, long intended) throws IOException {
            int status = connection.call(request);
            long ended = System.nanoTime();
            if (status == 200) {
                latency.recordValue(Math.min(ended - intended, HIGHEST_NANOS));
            }
            return status;
        }
    }

    /** A streamed request: the time from its intended start to its first event, and the gaps between events. */
    record Stream(InetSocketAddress address, byte[] request, Histogram firstEvent, Histogram gaps) implements Target {
        @Override
        public void warmUp(HttpConnection connection) throws IOException {
            connection.stream(request, (index, at) -> { });
        }

        @Override
        public int exchange(HttpConnection connection, long intended) throws IOException {
            long[] previous = new long[1];
            return connection.stream(request, (index, at) -> {
                if (index == 0) {
                    firstEvent.recordValue(Math.min(at - intended, HIGHEST_NANOS));
                } else {
                    gaps.recordValue(Math.min(Math.max(0, at - previous[0]), HIGHEST_NANOS));
                }
                previous[0] = at;
            });
        }
    }

    /**
     * Sends requests to each target at {@code perSecondEach} a second, one exchange at a time, for
     * {@code duration} per target, each target on a connection of its own. The targets take turns in
     * blocks of {@code block} each, in a new random order in each cycle, so that whatever slows the
     * machine for a moment falls on all of them alike. Within its block a target keeps a fixed-rate
     * schedule: a late exchange delays the ones behind it, each timed from its own intended start, while
     * the next block starts a schedule of its own, so that one target's slow exchange is never charged to
     * another's. Returns the exchanges that failed or did not answer 200.
     */
    static long fixedRate(List<? extends Target> targets, int perSecondEach, Duration duration, Duration block)
            throws IOException {
        int count = targets.size();
        long interval = TimeUnit.SECONDS.toNanos(1) / perSecondEach;
        long perBlock = Math.max(1, block.toNanos() / interval);
        long blocks = Math.max(1, duration.toNanos() / interval / perBlock);
        HttpConnection[] connections = new HttpConnection[count];
        List<Integer> order = new ArrayList<>();
        Random random = new Random(ORDER_SEED);
        long errors = 0;
        try {
            for (int t = 0; t < count; t++) {
                connections[t] = new HttpConnection(targets.get(t).address(), READ_TIMEOUT_MS);
                targets.get(t).warmUp(connections[t]);
                order.add(t);
            }
            for (long b = 0; b < blocks; b++) {
                Collections.shuffle(order, random);
                for (int t : order) {
                    Target target = targets.get(t);
                    long intended = System.nanoTime() + interval;
                    for (long k = 0; k < perBlock; k++, intended += interval) {
                        waitUntil(intended);
                        try {
                            if (!connections[t].isOpen()) {
                                connections[t].close();
                                connections[t] = new HttpConnection(target.address(), READ_TIMEOUT_MS);
                            }
                            if (target.exchange(connections[t], intended) != 200) {
                                errors++;
                            }
                        } catch (IOException e) {
                            errors++;
                            connections[t].close();
                            connections[t] = new HttpConnection(target.address(), READ_TIMEOUT_MS);
                        }
                    }
                }
            }
        } finally {
            for (HttpConnection connection : connections) {
                if (connection != null) {
                    connection.close();
                }
            }
        }
        return errors;
    }

    /** {@link #fixedRate(List, int, Duration, Duration)} for one target, in one block. */
    static long fixedRate(Target target, int perSecond, Duration duration) throws IOException {
        return fixedRate(List.of(target), perSecond, duration, duration);
    }

    /** Open streams held at once: how many got their first event, and how many failed. */
    static final class HeldStreams {
        final int count;
        final CountDownLatch allStarted;
        final CountDownLatch allEnded;
        final AtomicInteger started = new AtomicInteger();
        final AtomicInteger errors = new AtomicInteger();
        final List<String> failures = new ArrayList<>();

        HeldStreams(int count) {
            this.count = count;
            allStarted = new CountDownLatch(count);
            allEnded = new CountDownLatch(count);
        }

        synchronized void fail(String why) {
            errors.incrementAndGet();
            if (failures.size() < 5) {
                failures.add(why);
            }
        }
    }

    /**
     * Opens {@code count} streams on as many connections (one virtual thread each), {@code perSecond}
     * new ones a second; each must end with {@code expectedEvents} events and status 200.
     */
    static HeldStreams holdStreams(InetSocketAddress address, byte[] request, int count, int perSecond,
            int expectedEvents) {
        HeldStreams held = new HeldStreams(count);
        long interval = TimeUnit.SECONDS.toNanos(1) / perSecond;
        Thread.ofPlatform().daemon().name("stream-opener").start(() -> {
            long next = System.nanoTime();
            for (int i = 0; i < count; i++) {
                waitUntil(next);
                next += interval;
                Thread.ofVirtual().start(() -> holdOne(address, request, expectedEvents, held));
            }
        });
        return held;
    }

    private static void holdOne(InetSocketAddress address, byte[] request, int expectedEvents, HeldStreams held) {
        boolean[] started = new boolean[1];
        int[] events = new int[1];
        try (HttpConnection connection = new HttpConnection(address, READ_TIMEOUT_MS)) {
            int status = connection.stream(request, (index, at) -> {
                events[0]++;
                if (!started[0]) {
                    started[0] = true;
                    held.started.incrementAndGet();
                    held.allStarted.countDown();
                }
            });
            if (status != 200) {
                held.fail("HTTP " + status);
            } else if (events[0] != expectedEvents) {
                held.fail(events[0] + " events instead of " + expectedEvents);
            }
        } catch (IOException e) {
            held.fail(e.toString());
        } finally {
            if (!started[0]) {
                held.allStarted.countDown();
            }
            held.allEnded.countDown();
        }
    }

    static void waitUntil(long nanoTime) {
        long left;
        while ((left = nanoTime - System.nanoTime()) > SPIN_NANOS) {
            LockSupport.parkNanos(left - SPIN_NANOS);
        }
        while (System.nanoTime() < nanoTime) {
            Thread.onSpinWait();
        }
    }
}
