package io.rotor.strategies.graaljs.internal;

import io.rotor.api.Candidate;
import io.rotor.api.PickRequest;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.graalvm.polyglot.Source;

/**
 * One version of one script file, with the pool of contexts that run it. A context serves one
 * pick at a time and goes back to the pool afterwards; contexts are created only when every
 * pooled one is busy, so their number follows the number of picks running at once, never the
 * number of requests. At most {@link #maxContexts} picks run at once; more wait for a context
 * instead of making one that would be closed right after, but no longer than one pick may run: a
 * pick that cannot start by then fails (and its request falls back to round-robin) rather than
 * queue behind a script that cannot keep up. Nothing touches GraalJS until the first
 * pick or {@link #verify()}.
 */
final class ScriptProgram implements AutoCloseable {

    /**
     * Picks running at once, and contexts kept for reuse, at least: a context costs milliseconds to
     * make and should not churn. More picks than processors gain nothing, but requests served on
     * platform threads (up to 64 at once) can all reach the script together; unbounded, most of them
     * made a context that was closed after one pick (5,300 picks/s where round-robin served 15,000).
     */
    static final int MIN_CONTEXTS = 8;
    /** Top-level code that overruns its limit this many times in a row is taken for an endless loop. */
    static final int LOAD_TIMEOUTS_TO_REFUSE = 2;

    private final GraalJsRuntime runtime;
    private final String fileName;
    private final String text;
    private final int maxContexts;
    private final Semaphore running;
    private final Queue<ScriptContext> idle = new ConcurrentLinkedQueue<>();
    private final AtomicInteger idleCount = new AtomicInteger();
    private final AtomicInteger created = new AtomicInteger();
    private final AtomicBoolean firstPickDone = new AtomicBoolean();
    private final AtomicInteger loadTimeoutsInARow = new AtomicInteger();
    private volatile Source source;
    private volatile ScriptFailure loadFailure;
    private volatile boolean loaded;
    private volatile boolean closed;

    /**
     * @param fileName the file's name, used in the script's own error messages
     * @param text the script
     */
    ScriptProgram(GraalJsRuntime runtime, String fileName, String text) {
        this.runtime = runtime;
        this.fileName = fileName;
        this.text = text;
        this.maxContexts = Math.max(MIN_CONTEXTS, 2 * Runtime.getRuntime().availableProcessors());
        this.running = new Semaphore(maxContexts);
    }

    String text() {
        return text;
    }

    /**
     * Runs the script's {@code pick} on these candidates.
     *
     * @return the id the script returned (not yet checked against the candidates), or null
     * @throws ScriptFailure if the script does not load, throws, overruns or returns something unusable
     */
    String pick(List<Candidate> candidates, PickRequest request) throws ScriptFailure {
        Duration wait = runtime.timeout();
        try {
            if (!running.tryAcquire(wait.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new ScriptFailure("was not run: all " + maxContexts + " of its contexts stayed busy for "
                        + wait.toMillis() + " ms, its time limit for one pick", false);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ScriptFailure("was not run: the request was interrupted while waiting for it", false);
        }
        try {
            ScriptContext context = borrow();
            // The first pick also compiles the function bodies it reaches (shared by every context
            // afterwards), so it gets the loading limit; a script that loops for ever pays that once.
            Duration limit = firstPickDone.compareAndSet(false, true) ? runtime.loadTimeout() : runtime.timeout();
            try {
                return context.pick(PickInput.json(candidates, request), limit);
            } finally {
                giveBack(context);
            }
        } finally {
            running.release();
        }
    }

    /** The most picks that run at once, and the most contexts kept for reuse. */
    int maxContexts() {
        return maxContexts;
    }

    /**
     * Loads the script into a first context now (it then serves the first pick).
     *
     * @return why the script did not load, or null when it did; only a {@link ScriptFailure#permanent()}
     *         failure means it never will
     */
    ScriptFailure verify() {
        try {
            giveBack(borrow());
            return null;
        } catch (ScriptFailure failure) {
            return failure;
        }
    }

    /** Whether the script was loaded into a context at least once. */
    boolean loaded() {
        return loaded;
    }

    /** Why this version can never pick (it does not compile, throws at top level, defines no pick), or null. */
    ScriptFailure loadFailure() {
        return loadFailure;
    }

    /** Contexts created for this version so far. */
    int contextsCreated() {
        return created.get();
    }

    /** Contexts waiting in the pool now. */
    int idleContexts() {
        return idleCount.get();
    }

    private ScriptContext borrow() throws ScriptFailure {
        ScriptFailure failure = loadFailure;
        if (failure != null) {
            throw failure;
        }
        ScriptContext pooled = idle.poll();
        if (pooled != null) {
            idleCount.decrementAndGet();
            return pooled;
        }
        try {
            ScriptContext context = ScriptContext.load(runtime, source());
            created.incrementAndGet();
            loadTimeoutsInARow.set(0);
            loaded = true;
            return context;
        } catch (ScriptFailure e) {
            // A machine busy enough to stall loading once must not get a good script refused for good.
            if (e.timeout() && e.permanent() && loadTimeoutsInARow.incrementAndGet() < LOAD_TIMEOUTS_TO_REFUSE) {
                throw e.notPermanent();
            }
            if (e.permanent()) {
                loadFailure = e;
            }
            throw e;
        } catch (RuntimeException e) {
            throw new ScriptFailure("could not be started: " + e.getMessage(), false);
        }
    }

    private void giveBack(ScriptContext context) {
        if (closed || !context.reusable()) {
            context.close();
            return;
        }
        if (idleCount.incrementAndGet() > maxContexts) {
            idleCount.decrementAndGet();
            context.close();
            return;
        }
        idle.offer(context);
        if (closed) {
            closeIdle();
        }
    }

    private Source source() {
        Source current = source;
        if (current == null) {
            // Built on first use: creating any Source loads the polyglot implementation.
            current = Source.newBuilder("js", text, fileName).buildLiteral();
            source = current;
        }
        return current;
    }

    /** Closes the pooled contexts; contexts serving a pick right now are closed when it ends. */
    @Override
    public void close() {
        closed = true;
        closeIdle();
    }

    private void closeIdle() {
        for (ScriptContext context = idle.poll(); context != null; context = idle.poll()) {
            idleCount.decrementAndGet();
            context.close();
        }
    }
}
