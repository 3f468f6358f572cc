package io.rotor.strategies.graaljs.internal;

import java.io.OutputStream;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.Engine;
import org.graalvm.polyglot.EnvironmentAccess;
import org.graalvm.polyglot.HostAccess;
import org.graalvm.polyglot.PolyglotAccess;
import org.graalvm.polyglot.SandboxPolicy;
import org.graalvm.polyglot.io.IOAccess;

/**
 * The GraalJS machinery every script shares: one {@link Engine}, the sandboxed {@link Context}
 * builder and a watchdog that cancels calls running past the time limit.
 *
 * <p>Nothing is created until the first {@link #newContext()}: the engine costs a few hundred
 * milliseconds and its first context as much again, which a Rotor that uses no script should
 * never pay.
 */
final class GraalJsRuntime implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(GraalJsRuntime.class.getName());

    /** In a holder class so that a Rotor without scripts loads not even the polyglot API's classes. */
    private static final class Sandbox {
        static final HostAccess NO_HOST_ACCESS = HostAccess.newBuilder().allowMutableTargetMappings().build();
    }

    private static final Duration MIN_LOAD_TIMEOUT = Duration.ofSeconds(2);

    private final Duration timeout;
    private final Set<ScriptContext> running = ConcurrentHashMap.newKeySet();
    private volatile Engine engine;
    /** Set once the engine is warmed up; until then other threads wait rather than race the warm-up. */
    private volatile boolean ready;
    private Thread watchdog;
    private boolean closed;

    /** @param timeout how long one call of a script's {@code pick} may run */
    GraalJsRuntime(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("script time limit must be positive, got " + timeout.toMillis() + " ms");
        }
        this.timeout = timeout;
    }

    Duration timeout() {
        return timeout;
    }

    /**
     * The limit for a script's top-level code and for the first pick in each context: at least
     * two seconds, because these also pay for parsing and compiling the script, and a busy
     * machine must not make a good script look like a broken one.
     */
    Duration loadTimeout() {
        return timeout.compareTo(MIN_LOAD_TIMEOUT) > 0 ? timeout : MIN_LOAD_TIMEOUT;
    }

    /** Whether the engine is up and warmed, i.e. some script has already been run. */
    boolean started() {
        return ready;
    }

    /**
     * Returns a new sandboxed context on the shared engine, creating the engine first if needed.
     *
     * @throws IllegalStateException once closed
     */
    Context newContext() {
        return Context.newBuilder("js")
                .engine(engine())
                .sandbox(SandboxPolicy.CONSTRAINED)
                .allowHostAccess(Sandbox.NO_HOST_ACCESS)
                .allowHostClassLoading(false)
                .allowIO(IOAccess.NONE)
                .allowCreateThread(false)
                .allowNativeAccess(false)
                .allowCreateProcess(false)
                .allowEnvironmentAccess(EnvironmentAccess.NONE)
                .allowPolyglotAccess(PolyglotAccess.NONE)
                // The sandbox policy insists on explicit streams; a script's console output is dropped.
                .out(OutputStream.nullOutputStream())
                .err(OutputStream.nullOutputStream())
                .option("js.load", "false")
                .option("js.graal-builtin", "false")
                .build();
    }

    /** Puts a call under the watchdog; it cancels the context when the call overruns {@link #timeout()}. */
    void watch(ScriptContext context) {
        running.add(context);
    }

    void unwatch(ScriptContext context) {
        running.remove(context);
    }

    private Engine engine() {
        if (ready) {
            return engine;
        }
        // The thread creating the engine comes back here (re-entering) for the warm-up's context.
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("the script runtime is closed");
            }
            if (engine == null) {
                long start = System.nanoTime();
                engine = createEngine();
                watchdog = Thread.ofPlatform().daemon().name("rotor-script-watchdog").start(this::watchCalls);
                try {
                    ScriptContext.warmUp(this);
                } catch (RuntimeException e) {
                    // Only a head start: the scripts run all the same, if slower at first.
                    LOG.log(System.Logger.Level.DEBUG, "GraalJS warm-up failed: " + e);
                }
                ready = true;
                LOG.log(System.Logger.Level.INFO, "GraalJS engine started in {0,number,#} ms",
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            }
            return engine;
        }
    }

    private static Engine createEngine() {
        // Truffle finds its languages through the class loader that holds the polyglot API (the
        // launcher's class path); inside a bundle the thread's context loader may be anything.
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(Engine.class.getClassLoader());
        try {
            return Engine.newBuilder("js")
                    .sandbox(SandboxPolicy.CONSTRAINED)
                    .out(OutputStream.nullOutputStream())
                    .err(OutputStream.nullOutputStream())
                    // A stock JDK runs Truffle without its JIT; that is expected here, not worth a warning.
                    .option("engine.WarnInterpreterOnly", "false")
                    .build();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    private void watchCalls() {
        long tickMillis = Math.clamp(timeout.toMillis() / 5, 1, 100);
        while (!Thread.currentThread().isInterrupted()) {
            long now = System.nanoTime();
            for (ScriptContext context : running) {
                context.cancelIfOverdue(now);
            }
            try {
                Thread.sleep(tickMillis);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Stops the watchdog and closes the engine, cancelling whatever still runs on it. */
    @Override
    public void close() {
        Engine toClose;
        synchronized (this) {
            closed = true;
            toClose = engine;
            if (watchdog != null) {
                watchdog.interrupt();
            }
        }
        if (toClose != null) {
            toClose.close(true);
        }
    }
}
