package io.rotor.api;

/**
 * A request from a client of the gateway, as the transport received it.
 *
 * @param authorization the {@code Authorization} header, or null
 * @param body the request body (empty for GET)
 * @param requestId the request's id ({@code X-Request-Id}), which its log lines carry; null if none
 */
public record ClientRequest(Endpoint endpoint, String authorization, byte[] body, String requestId) {

    /** A request without an id. */
    public ClientRequest(Endpoint endpoint, String authorization, byte[] body) {
        this(endpoint, authorization, body, null);
    }

    @Override
    public String toString() {
        return "ClientRequest[" + endpoint + ", " + body.length + " bytes, id=" + requestId + "]";
    }
}
