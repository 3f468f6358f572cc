package io.rotor.api;

import java.io.IOException;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The one HTTP client adapters use to reach upstreams: one connection pool, one place for
 * timeouts and streaming. Calls block; callers run on virtual threads.
 */
@ProviderType
public interface UpstreamHttp {

    /**
     * Executes a call and returns once the status and headers arrived; the body streams.
     *
     * @throws java.net.SocketTimeoutException if no response started within the first-byte timeout
     * @throws IOException on any other network failure
     */
    UpstreamResponse execute(HttpCall call) throws IOException;
}
