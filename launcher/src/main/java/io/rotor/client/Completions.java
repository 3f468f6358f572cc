package io.rotor.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.rotor.api.Endpoint;
import java.util.Map;

/**
 * {@code /v1/chat/completions} ({@code client.chat().completions()}) or {@code /v1/completions}
 * ({@code client.completions()}): {@link #create} for a whole response, {@link #stream} for its events
 * as they arrive.
 */
public final class Completions extends JsonEndpoint {

    Completions(Requests requests, Endpoint endpoint) {
        super(requests, endpoint);
    }

    /**
     * Sends the request with {@code "stream": true} and returns once the upstream began to answer; its
     * events arrive through the returned stream as the upstream sends them. Close it when done.
     *
     * @throws RotorClientException as {@link #create(JsonNode)}, for failures before the stream began
     */
    public ChunkStream stream(JsonNode request) {
        return requests.stream(endpoint, Requests.body(request));
    }

    /** As {@link #stream(JsonNode)}, the request as a map of JSON values. */
    public ChunkStream stream(Map<String, ?> request) {
        return requests.stream(endpoint, Requests.body(request));
    }

    /** As {@link #stream(JsonNode)}, the request as JSON text. */
    public ChunkStream stream(String request) {
        return requests.stream(endpoint, Requests.body(request));
    }
}
