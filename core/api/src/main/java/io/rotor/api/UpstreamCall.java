package io.rotor.api;

import java.util.Map;

/**
 * One call an adapter makes upstream on behalf of a client request.
 *
 * @param accountId the account whose credential is used
 * @param email the account's email, or null
 * @param secrets decrypted secret fields of the account ({@link Account#SECRET_API_KEY}, …);
 *        never logged, never echoed
 * @param body the client's request body, unchanged (empty for {@link Endpoint#MODELS})
 */
public record UpstreamCall(Upstream upstream, String accountId, String email, Map<String, String> secrets,
        Endpoint endpoint, String model, boolean stream, byte[] body) {

    @Override
    public String toString() {
        return "UpstreamCall[" + upstream.name() + " " + endpoint + " account=" + accountId + "]";
    }
}
