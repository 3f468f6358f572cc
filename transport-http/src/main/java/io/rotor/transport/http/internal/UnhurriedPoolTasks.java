package io.rotor.transport.http.internal;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import okhttp3.internal.concurrent.TaskRunner;

/**
 * Runs the tasks of OkHttp's connection pool (closing connections idle too long or too many) without
 * waking a thread each time a connection is released. OkHttp reschedules its clean-up at every release
 * and wakes its task thread to look at it: a thread wake-up and two futex calls per upstream request,
 * on the way back to the client. Here the task thread is not woken; it looks for due tasks at least
 * every {@link #MAX_WAIT_NANOS}, so a clean-up that is due runs at most that much late, which for
 * connections kept for minutes changes nothing. Only the pool uses this runner: connections and calls
 * keep OkHttp's own. It is never shut down: a response still being read when the upstream client
 * closes gives its connection back afterwards, and only a running backend closes that connection at
 * its keep-alive; idle, its threads end by themselves.
 *
 * <p>This uses OkHttp's internal task API ({@code okhttp3.internal.concurrent}), embedded with OkHttp
 * in this bundle, so it changes only with the OkHttp version this bundle is built with.
 */
final class UnhurriedPoolTasks implements TaskRunner.Backend {

    /** The longest the task thread sleeps before it looks for due tasks again. */
    static final long MAX_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** Its threads are daemons and, as a cached pool's, end after a minute without work. */
    private final ExecutorService threads = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "rotor-upstream-pool-tasks");
        thread.setDaemon(true);
        return thread;
    });

    /** A task runner for one connection pool, on this backend. */
    TaskRunner taskRunner() {
        return new TaskRunner(this, Logger.getLogger(TaskRunner.class.getName()));
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public void coordinatorNotify(TaskRunner taskRunner) {
        // Not woken: the coordinator looks again within MAX_WAIT_NANOS.
    }

    @Override
    public void coordinatorWait(TaskRunner taskRunner, long nanos) {
        // Called holding the task runner's monitor, as OkHttp's own backend waits on it.
        long wait = Math.min(nanos, MAX_WAIT_NANOS);
        if (wait > 0) {
            try {
                TimeUnit.NANOSECONDS.timedWait(taskRunner, wait);
            } catch (InterruptedException e) {
                // Nothing interrupts these threads today. The interface (Kotlin) declares no exception,
                // yet OkHttp's task loop ends on exactly this one, as with its own backend; returning
                // instead would spin on the interrupt.
                throw UnhurriedPoolTasks.<RuntimeException>unchecked(e);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> E unchecked(Throwable e) throws E {
        throw (E) e;
    }

    @Override
    public <T> BlockingQueue<T> decorate(BlockingQueue<T> queue) {
        return queue;
    }

    @Override
    public void execute(TaskRunner taskRunner, Runnable runnable) {
        threads.execute(runnable);
    }
}
