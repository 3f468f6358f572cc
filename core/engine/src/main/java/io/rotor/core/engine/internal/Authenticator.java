package io.rotor.core.engine.internal;

import io.rotor.api.Caller;
import io.rotor.api.ErrorCode;
import io.rotor.api.RotorException;
import io.rotor.api.User;
import java.util.function.Supplier;

/** Step 1 of a request: turns the {@code Authorization} header into a {@link Caller}. */
final class Authenticator {

    private static final String BEARER = "bearer ";

    private final AccountRegistry registry;
    private final Supplier<String> masterKeyHash;

    Authenticator(AccountRegistry registry, Supplier<String> masterKeyHash) {
        this.registry = registry;
        this.masterKeyHash = masterKeyHash;
    }

    /** @throws RotorException {@link ErrorCode#INVALID_API_KEY} for a missing, malformed or unknown key */
    Caller authenticate(String authorization) {
        String key = bearerToken(authorization);
        // A user is found by the hash of its key; the lookup reveals nothing a timing attack could use,
        // and the final comparison is constant-time.
        User user = registry.userByKeyHash(Keys.hash(key));
        if (user != null && Keys.matches(key, user.keyHash())) {
            return new Caller(user);
        }
        if (Keys.matches(key, masterKeyHash.get())) {
            return Caller.MASTER;
        }
        throw new RotorException(ErrorCode.INVALID_API_KEY, "Incorrect API key provided.");
    }

    private static String bearerToken(String authorization) {
        if (authorization == null || authorization.isBlank()) {
            throw new RotorException(ErrorCode.INVALID_API_KEY,
                    "Missing API key: send it as 'Authorization: Bearer <key>'.");
        }
        String value = authorization.trim();
        if (!value.regionMatches(true, 0, BEARER, 0, BEARER.length()) || value.length() == BEARER.length()) {
            throw new RotorException(ErrorCode.INVALID_API_KEY,
                    "Malformed Authorization header: expected 'Bearer <key>'.");
        }
        return value.substring(BEARER.length()).trim();
    }
}
