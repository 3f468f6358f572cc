package io.rotor.plugins.k2think.internal;

import java.time.Instant;

/** A K2 Think session token and when to stop using it. */
record K2Token(String value, Instant expiresAt) {

    @Override
    public String toString() {
        return "K2Token[expiresAt=" + expiresAt + "]";
    }
}
