package io.rotor.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * The load patterns: closed-loop saturation over many connections, and fixed arrival rate over one
 * connection, where latency is recorded from the time each request was meant to be sent, so a slow
 * response delays the ones behind it in the figures too (no coordinated omission).
 */
final class Load {

    /** Latencies up to a minute, three significant digits, in nanoseconds. */
    static final long HIGHEST_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final int READ_TIMEOUT_MS = 60_000;
    /** Park until this close to the intended send time, then spin: parking alone wakes tens of µs late. */
    private static final long SPIN_NANOS = 100_000;

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
     * Sends {@code request} at a fixed rate over one connection for {@code duration}, recording each
     * latency from the request's intended send time into {@code into}; returns the errors.
     */
    static long fixedRate(InetSocketAddress address, byte[] request, int perSecond, Duration duration, Histogram into)
            throws IOException {
        long interval = TimeUnit.SECONDS.toNanos(1) / perSecond;
        long errors = 0;
        HttpConnection connection = new HttpConnection(address, READ_TIMEOUT_MS);
        try {
            // One untimed exchange first: a new connection is not what this measures.
            connection.call(request);
            long intended = System.nanoTime() + interval;
            long end = intended + duration.toNanos();
            while (intended < end) {
                waitUntil(intended);
                try {
                    if (!connection.isOpen()) {
                        connection.close();
                        connection = new HttpConnection(address, READ_TIMEOUT_MS);
                    }
                    int status = connection.call(request);
                    long ended = System.nanoTime();
                    if (status == 200) {
                        into.recordValue(Math.min(ended - intended, HIGHEST_NANOS));
                    } else {
                        errors++;
                    }
                } catch (IOException e) {
                    errors++;
                    connection.close();
                    connection = new HttpConnection(address, READ_TIMEOUT_MS);
                }
                intended += interval;
            }
        } finally {
            connection.close();
        }
        return errors;
    }

    /**
     * Starts one streamed request at a time at a fixed rate over one connection; records the time
     * from each intended start to its first event, and the gaps between the events of a stream.
     */
    static long fixedRateStreams(InetSocketAddress address, byte[] request, int perSecond, Duration duration,
            Histogram firstEvent, Histogram gaps) throws IOException {
        long interval = TimeUnit.SECONDS.toNanos(1) / perSecond;
        long errors = 0;
        HttpConnection connection = new HttpConnection(address, READ_TIMEOUT_MS);
        long[] previous = new long[1];
        try {
            connection.stream(request, (index, at) -> { });
            long intended = System.nanoTime() + interval;
            long end = intended + duration.toNanos();
            while (intended < end) {
                waitUntil(intended);
                long start = intended;
                try {
                    if (!connection.isOpen()) {
                        connection.close();
                        connection = new HttpConnection(address, READ_TIMEOUT_MS);
                    }
                    int status = connection.stream(request, (index, at) -> {
                        if (index == 0) {
                            firstEvent.recordValue(Math.min(at - start, HIGHEST_NANOS));
                        } else {
                            gaps.recordValue(Math.min(Math.max(0, at - previous[0]), HIGHEST_NANOS));
                        }
                        previous[0] = at;
                    });
                    if (status != 200) {
                        errors++;
                    }
                } catch (IOException e) {
                    errors++;
                    connection.close();
                    connection = new HttpConnection(address, READ_TIMEOUT_MS);
                }
                intended += interval;
            }
        } finally {
            connection.close();
        }
        return errors;
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
