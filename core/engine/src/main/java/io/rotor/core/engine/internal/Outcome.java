package io.rotor.core.engine.internal;

import io.rotor.api.UpstreamResponse;

/** What one upstream attempt came to. */
sealed interface Outcome {

    /** A 2xx response: deliver it. */
    record Served(UpstreamResponse response) implements Outcome {
    }

    /** A 4xx that is the request's fault (400, 404, 413, …): deliver it as is, never retry. */
    record Refused(UpstreamResponse response) implements Outcome {
    }

    /** A 429: cool the account down for {@code retryAfterMs} (at least the pool's cooldown) and retry elsewhere. */
    record RateLimited(long retryAfterMs) implements Outcome {
    }

    /** 401/403 or a refused sign-in: the credential is unusable. */
    record InvalidCredential(String reason) implements Outcome {
    }

    /** 5xx or a network failure before the first byte: retry elsewhere. */
    record Failed(String reason, boolean timeout) implements Outcome {
    }
}
