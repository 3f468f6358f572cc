package io.rotor.transport.http.internal;

/** Timeouts of the upstream HTTP client, from the {@code rotor} configuration. */
public @interface UpstreamClientConfiguration {

    /** Maximum time to open a connection to an upstream ({@code upstream.connectTimeoutMs}). */
    long upstream_connectTimeoutMs() default 10_000;

    /**
     * Maximum silence while waiting for the response to start and between two reads of its body
     * ({@code upstream.readTimeoutMs}); generous because models think before the first token.
     */
    long upstream_readTimeoutMs() default 120_000;

    /**
     * How long a call waits on the CPU for an upstream's answer before its read blocks, while at most
     * half the processors' worth of calls wait upstream ({@code upstream.spinMicros}; 0 turns it off).
     * See {@link SpinningSocket}.
     */
    long upstream_spinMicros() default 200;
}
