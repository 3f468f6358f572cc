package io.rotor.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The engine serving code that runs in the same process, such as the in-process client: requests
 * name the pool to use instead of carrying an API key. Only code that started the engine (and so
 * already holds its store and keys) can reach this service; nothing exposes it over HTTP.
 *
 * @since 0.3
 */
@ProviderType
public interface PoolGateway {

    /**
     * Serves one request from the accounts of {@code pool}, as {@link Gateway#handle} does for a user of
     * that pool: picks an account, calls upstream (retrying on other accounts before any byte was
     * returned) and returns the response, which names the serving account in {@link Gateway#ACCOUNT_HEADER}.
     * The request's {@code authorization} is not read.
     *
     * @param pool the pool's name; null means {@link Account#DEFAULT_POOL}
     * @throws RotorException {@link ErrorCode#INVALID_REQUEST} (param {@code pool}) for a malformed pool name,
     *         otherwise with the contract's code as {@link Gateway#handle} throws it, e.g.
     *         {@link ErrorCode#NO_AVAILABLE_ACCOUNTS} with its retry time
     */
    ClientResponse handle(ClientRequest request, String pool);
}
