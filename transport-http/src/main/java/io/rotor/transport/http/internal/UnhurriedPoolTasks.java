package io.rotor.transport.http.internal;

import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
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
 * keep OkHttp's own.
 *
 * <p>This uses OkHttp's internal task API ({@code okhttp3.internal.concurrent}), embedded with OkHttp
 * in this bundle, so it changes only with the OkHttp version this bundle is built with.
 */
final class UnhurriedPoolTasks implements TaskRunner.Backend {

    /** The longest the task thread sleeps before it looks for due tasks again. */
    static final long MAX_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** Its threads that are running (OkHttp renames them after its task while they run it). */
    private final Set<Thread> running = ConcurrentHashMap.newKeySet();
    private final ExecutorService threads = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(() -> {
            running.add(Thread.currentThread());
            try {
                runnable.run();
            } finally {
                running.remove(Thread.currentThread());
            }
        }, "rotor-upstream-pool-tasks");
        thread.setDaemon(true);
        return thread;
    });

    /** A task runner for one connection pool, on this backend. */
    static TaskRunner taskRunner(UnhurriedPoolTasks backend) {
        return new TaskRunner(backend, Logger.getLogger(TaskRunner.class.getName()));
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
                // The interface (Kotlin) declares no exception, yet OkHttp's task loop ends on exactly
                // this one, as with its own backend; returning instead would spin on the interrupt.
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
        try {
            threads.execute(runnable);
        } catch (RejectedExecutionException e) {
            // The client is closing: its connections are closed with it, no clean-up is needed.
        }
    }

    /**
     * Interrupts its threads and takes no more tasks. The upstream client does not call this when it
     * closes: a response still being read then gives its connection back to the pool afterwards, and
     * only a running backend closes that connection at its keep-alive. Idle, its threads end by
     * themselves (they are daemons, and a cached pool's threads end after a minute without work).
     */
    void shutdown() {
        threads.shutdownNow();
    }

    /** How many of its threads are running now. */
    int threadsRunning() {
        return running.size();
    }
}
