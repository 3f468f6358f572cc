package io.rotor.transport.http.internal;

import com.sun.net.httpserver.HttpExchange;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * Every request gets an {@code X-Request-Id}: the client's, when it sent a sane one, else a new one.
 * It is echoed in the response and carried into the engine's log lines.
 */
final class RequestIds {

    static final String HEADER = "X-Request-Id";
    private static final Pattern SANE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private RequestIds() {
    }

    /**
     * A random UUID (version 4). Ids only label log lines, so they come from a fast generator:
     * {@link UUID#randomUUID} draws from the shared SecureRandom, a lock and a system call per request.
     */
    static String newId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long high = random.nextLong() & ~0xf000L | 0x4000L;
        long low = random.nextLong() & ~(0xc000L << 48) | (0x8000L << 48);
        return new UUID(high, low).toString();
    }

    /** Returns the request's id and sets it on the response. */
    static String assign(HttpExchange exchange) {
        String given = exchange.getRequestHeaders().getFirst(HEADER);
        String id = given != null && SANE.matcher(given).matches() ? given : newId();
        exchange.getResponseHeaders().set(HEADER, id);
        return id;
    }
}
