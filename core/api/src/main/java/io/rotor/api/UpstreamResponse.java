package io.rotor.api;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A response from upstream whose body is read as it arrives. Closing it releases the
 * connection (and cancels the call if the body was not read to the end).
 *
 * @param headers response headers; look them up with {@link #header(String)}
 * @param retryAfter a cooldown hint the adapter read from the response (for example a
 *        "reset after 53s" in a 429 body), or null to let the engine read {@code Retry-After}
 */
public record UpstreamResponse(int status, Map<String, List<String>> headers, InputStream body,
        Duration retryAfter) implements Closeable {

    public UpstreamResponse {
        headers = Map.copyOf(headers);
        body = body == null ? InputStream.nullInputStream() : body;
    }

    /** Returns the first value of a header (name case-insensitive), or null. */
    public String header(String name) {
        for (Map.Entry<String, List<String>> entry : headers.entrySet()) {
            if (entry.getKey().equalsIgnoreCase(name) && !entry.getValue().isEmpty()) {
                return entry.getValue().get(0);
            }
        }
        return null;
    }

    public UpstreamResponse withBody(InputStream newBody) {
        return new UpstreamResponse(status, headers, newBody, retryAfter);
    }

    @Override
    public void close() throws IOException {
        body.close();
    }
}
