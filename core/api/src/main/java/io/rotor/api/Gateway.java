package io.rotor.api;

import org.osgi.annotation.versioning.ProviderType;

/** The engine: serves proxied client requests from the pooled accounts. */
@ProviderType
public interface Gateway {

    /** Response header naming the account that served a proxied request. */
    String ACCOUNT_HEADER = "X-Rotor-Account";

    /**
     * Serves one request: authenticates the user, picks an account of its pool, calls upstream
     * (retrying on other accounts before any byte reached the client) and returns the response.
     *
     * @throws RotorException with the contract's code when the request cannot be served
     */
    ClientResponse handle(ClientRequest request);

    /**
     * Identifies the sender of a request by its {@code Authorization} header.
     *
     * @throws RotorException {@link ErrorCode#INVALID_API_KEY} for a missing, malformed or unknown key
     */
    Caller authenticate(String authorization);
}
