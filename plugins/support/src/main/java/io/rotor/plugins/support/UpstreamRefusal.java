package io.rotor.plugins.support;

import io.rotor.api.UpstreamResponse;
import java.time.Duration;

/**
 * The upstream answered, but not with what the call needs: a refused sign-in, a rate limit, a
 * server error. Turned into an OpenAI-shaped {@link UpstreamResponse} with the same meaning for the
 * engine: 401 marks the account invalid, 429 cools it down for {@link #retryAfter()}, 5xx retries
 * elsewhere, another 4xx goes back to the client.
 */
public final class UpstreamRefusal extends Exception {

    private final int status;
    private final Duration retryAfter;

    /** @param message safe to show to clients and in logs: never a secret, never a full email */
    public UpstreamRefusal(int status, String message, Duration retryAfter) {
        super(message, null, false, false);
        this.status = status;
        this.retryAfter = retryAfter;
    }

    public UpstreamRefusal(int status, String message) {
        this(status, message, null);
    }

    public int status() {
        return status;
    }

    /** The cooldown the upstream asked for, or null. */
    public Duration retryAfter() {
        return retryAfter;
    }

    /** True if the credential itself was refused: the account should be marked invalid. */
    public boolean invalidCredential() {
        return status == 401 || status == 403;
    }

    /** The refusal as the response the engine classifies. */
    public UpstreamResponse toResponse() {
        return OpenAiErrors.response(status, getMessage(), retryAfter);
    }
}
