package io.rotor.plugins.gemini.internal;

import java.time.Instant;

/** A Google OAuth access token and the time it expires. */
record AccessToken(String value, Instant expiresAt) {

    @Override
    public String toString() {
        return "AccessToken[expiresAt=" + expiresAt + "]";
    }
}
