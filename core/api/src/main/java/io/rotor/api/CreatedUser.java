package io.rotor.api;

/** A user just created, with its API key: the only time the key is available. */
public record CreatedUser(User user, String apiKey) {

    @Override
    public String toString() {
        return "CreatedUser[" + user + "]";
    }
}
