package io.rotor.plugins.support;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.function.Predicate;

/**
 * Tokens (or any value that is costly to get) cached per key in memory. Concurrent callers for
 * one key share one load: the first one loads, the others wait for its result. A failed load is
 * not cached; every caller that waited for it gets its failure.
 *
 * @param <T> the cached value
 */
public final class SharedTokens<T> {

    /** Gets a fresh value, for example by signing in. */
    @FunctionalInterface
    public interface Loader<T> {
        T load() throws IOException, UpstreamRefusal;
    }

    private final ConcurrentMap<String, CompletableFuture<T>> entries = new ConcurrentHashMap<>();
    private final Predicate<T> usable;

    /** @param usable tells whether a cached value may still be used (not expired) */
    public SharedTokens(Predicate<T> usable) {
        this.usable = usable;
    }

    /**
     * Returns the cached value for {@code key} while it is usable, else loads a new one, or waits
     * for the load another caller has started.
     */
    public T get(String key, Loader<T> loader) throws IOException, UpstreamRefusal {
        CompletableFuture<T> mine = new CompletableFuture<>();
        CompletableFuture<T> current = entries.compute(key, (k, existing) -> {
            if (existing == null || existing.isCompletedExceptionally()) {
                return mine;
            }
            if (!existing.isDone() || usable.test(existing.join())) {
                return existing;
            }
            return mine;
        });
        return current == mine ? load(key, mine, loader) : await(current);
    }

    /** Forgets {@code stale} (a value the upstream refused), unless a newer value replaced it already. */
    public void invalidate(String key, T stale) {
        entries.computeIfPresent(key, (k, existing) ->
                existing.isDone() && !existing.isCompletedExceptionally() && existing.join() == stale
                        ? null : existing);
    }

    /** Caches a value obtained elsewhere (for example by a validation). */
    public void put(String key, T value) {
        entries.put(key, CompletableFuture.completedFuture(value));
    }

    /** Returns the cached value if there is a usable one, else null; never loads. */
    public T peek(String key) {
        CompletableFuture<T> existing = entries.get(key);
        if (existing == null || !existing.isDone() || existing.isCompletedExceptionally()) {
            return null;
        }
        T value = existing.join();
        return usable.test(value) ? value : null;
    }

    private T load(String key, CompletableFuture<T> mine, Loader<T> loader) throws IOException, UpstreamRefusal {
        try {
            T value = loader.load();
            mine.complete(value);
            return value;
        } catch (IOException | UpstreamRefusal | RuntimeException | Error e) {
            entries.remove(key, mine);
            mine.completeExceptionally(e);
            throw e;
        }
    }

    private static <T> T await(CompletableFuture<T> pending) throws IOException, UpstreamRefusal {
        try {
            return pending.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for a shared sign-in");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof UpstreamRefusal refusal) {
                throw refusal;
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IOException(cause);
        }
    }
}
