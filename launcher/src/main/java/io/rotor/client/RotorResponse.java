package io.rotor.client;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A response of the upstream, as {@code create(...)} returns it.
 *
 * @param body the upstream's JSON body, e.g. a {@code chat.completion} object
 * @param accountId the id of the Rotor account that served the request (the HTTP API's {@code X-Rotor-Account})
 */
public record RotorResponse(JsonNode body, String accountId) {
}
