package io.rotor.api;

/**
 * The result of {@code POST /v1/config/update} (the Gemini seed's way of adding a credential).
 *
 * @param userCreated true if the user key was new and its user and pool were created now
 */
public record ConfigUpdate(User user, boolean userCreated, Account account) {
}
