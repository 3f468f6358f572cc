package io.rotor.api;

import java.util.Objects;

/**
 * Per-pool overrides of the rotation defaults. A null field means "use the configured default"
 * ({@code rotation.strategy}, {@code rateLimit.*}, {@code retry.max}).
 */
public record Pool(String name, String strategy, Integer perAccount, Long windowMs, Long cooldownMs,
        Integer maxRetries) {

    public Pool {
        Objects.requireNonNull(name, "name");
    }

    public static Pool named(String name) {
        return new Pool(name, null, null, null, null, null);
    }
}
