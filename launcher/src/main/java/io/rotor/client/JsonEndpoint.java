package io.rotor.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.rotor.api.Endpoint;
import java.util.Map;

/**
 * One OpenAI endpoint served from the client's pool, answered with one JSON body. Requests are the
 * OpenAI request objects, as a Jackson {@link JsonNode}, a {@link Map} or JSON text; the request given
 * is not changed. Every method is safe to call from many threads at once.
 */
public abstract sealed class JsonEndpoint permits Completions, Embeddings {

    final Requests requests;
    final Endpoint endpoint;

    JsonEndpoint(Requests requests, Endpoint endpoint) {
        this.requests = requests;
        this.endpoint = endpoint;
    }

    /**
     * Sends the request and waits for the whole response.
     *
     * @return the upstream's JSON body and the id of the account that served it
     * @throws RotorClientException with the contract's code: {@code NO_AVAILABLE_ACCOUNTS} (with
     *         {@link RotorClientException#retryAfterMs()}) when every account is cooling down or busy,
     *         {@code RATE_LIMIT_EXCEEDED} when every attempt was rate-limited upstream, {@code upstream_error}
     *         or {@code upstream_timeout} when every attempt failed, {@code invalid_request} or
     *         {@code model_not_found} for a bad request (also for {@code "stream": true}, which needs
     *         {@link Completions#stream}), or the upstream's own error that it answered
     */
    public RotorResponse create(JsonNode request) {
        return requests.create(endpoint, Requests.body(request));
    }

    /** As {@link #create(JsonNode)}, the request as a map of JSON values. */
    public RotorResponse create(Map<String, ?> request) {
        return requests.create(endpoint, Requests.body(request));
    }

    /** As {@link #create(JsonNode)}, the request as JSON text. */
    public RotorResponse create(String request) {
        return requests.create(endpoint, Requests.body(request));
    }
}
