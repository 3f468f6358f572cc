package io.rotor.strategies.builtin.internal;

import io.rotor.api.PickRequest;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;

/** A strategy's state, one instance per pool, created on the pool's first pick. */
final class PerPool<S> {

    private final ConcurrentMap<String, S> states = new ConcurrentHashMap<>();
    private final Supplier<S> factory;

    PerPool(Supplier<S> factory) {
        this.factory = factory;
    }

    S of(PickRequest request) {
        return of(request.pool());
    }

    S of(String pool) {
        // A request without a pool still gets state of its own, shared by all such requests.
        return states.computeIfAbsent(Objects.requireNonNullElse(pool, ""), key -> factory.get());
    }
}
