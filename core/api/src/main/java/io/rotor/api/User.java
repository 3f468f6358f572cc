package io.rotor.api;

import java.time.Instant;
import java.util.Objects;

/**
 * A client of the gateway. Its API key is kept only as a hash.
 *
 * @param keyHash hex SHA-256 of the user's API key
 * @param pool the pool its requests use
 */
public record User(String id, String name, String keyHash, String pool, Instant createdAt) {

    public User {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(keyHash, "keyHash");
        pool = pool == null || pool.isBlank() ? Account.DEFAULT_POOL : pool;
    }

    @Override
    public String toString() {
        return "User[id=" + id + ", name=" + name + ", pool=" + pool + "]";
    }
}
