package io.rotor.api;

import java.net.URI;
import java.util.List;
import java.util.Map;

/**
 * One outbound HTTP request for {@link UpstreamHttp}.
 *
 * @param body the request body, or null for none
 * @param contentType the body's media type, or null
 */
public record HttpCall(String method, URI uri, Map<String, List<String>> headers, byte[] body,
        String contentType) {

    public HttpCall {
        headers = Map.copyOf(headers);
    }

    @Override
    public String toString() {
        // Headers carry credentials: never part of a string that might reach a log.
        return "HttpCall[" + method + " " + uri.getScheme() + "://" + uri.getHost() + uri.getPath() + "]";
    }
}
