package io.rotor.api;

/**
 * A user to create.
 *
 * @param pool the pool its requests will use; null means {@code default}
 */
public record NewUser(String name, String pool) {
}
