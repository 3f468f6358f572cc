package io.rotor.transport.http.internal;

/** Listen address and limits of the inbound server, from the {@code rotor.server} configuration. */
public @interface ServerConfiguration {

    /** Interface to bind ({@code server.host}). */
    String server_host() default "127.0.0.1";

    /** Port to bind ({@code server.port}); 0 picks a free one. */
    int server_port() default 8787;

    /** Largest request body accepted ({@code server.maxBodyBytes}); larger ones get 413. */
    long server_maxBodyBytes() default 20_971_520;
}
