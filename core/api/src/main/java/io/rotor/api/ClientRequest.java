package io.rotor.api;

/**
 * A request from a client of the gateway, as the transport received it.
 *
 * @param authorization the {@code Authorization} header, or null
 * @param body the request body (empty for GET)
 */
public record ClientRequest(Endpoint endpoint, String authorization, byte[] body) {

    @Override
    public String toString() {
        return "ClientRequest[" + endpoint + ", " + body.length + " bytes]";
    }
}
