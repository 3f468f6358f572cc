package io.rotor.client;

import io.rotor.api.Endpoint;

/** {@code /v1/embeddings} ({@code client.embeddings()}): {@link #create} returns the embedding list. */
public final class Embeddings extends JsonEndpoint {

    Embeddings(Requests requests) {
        super(requests, Endpoint.EMBEDDINGS);
    }
}
