/**
 * Rotor's public API: the service interfaces that bundles implement or use, the domain
 * records they exchange, and the one error type with its stable codes.
 *
 * <p>{@link io.rotor.api.RotationStrategy} and {@link io.rotor.api.UpstreamAdapter} are
 * implemented by plugins; every other interface is implemented by Rotor itself.
 */
@Export
@Version("0.4.0")
package io.rotor.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
