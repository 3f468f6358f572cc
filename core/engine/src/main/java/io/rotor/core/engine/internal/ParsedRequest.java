package io.rotor.core.engine.internal;

/**
 * The two fields of a client body that routing needs.
 *
 * @param model the requested model, or null (only for {@code /v1/models})
 */
record ParsedRequest(String model, boolean stream) {
}
