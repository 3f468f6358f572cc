package io.rotor.api;

/**
 * What a strategy knows about the request it picks an account for.
 *
 * @param user id of the user making the request, or null for the master key
 * @param attempt 0 for the first try, 1.. for retries on other accounts
 */
public record PickRequest(String model, String user, String pool, int attempt) {
}
