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
        // A user is found by the whole hash of its key, which a look-up compares exactly; it reveals
        // nothing a timing attack could use (only how much of a hash matched). The key is hashed once.
        byte[] digest = Keys.sha256(key);
        User user = registry.userByKeyHash(Keys.hex(digest));
        if (user != null) {
            return new Caller(user);
        }
        if (Keys.matches(digest, masterKeyHash.get())) {
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
