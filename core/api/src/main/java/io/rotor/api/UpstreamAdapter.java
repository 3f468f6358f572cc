package io.rotor.api;

import java.io.IOException;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Speaks one upstream protocol. Register implementations as OSGi services with the
 * {@link #TYPE} property; make HTTP calls through the {@link UpstreamHttp} service.
 */
@ConsumerType
public interface UpstreamAdapter {

    /** Service property: the upstream type this adapter speaks, e.g. {@code openai}. */
    String TYPE = "rotor.upstream.type";

    /**
     * Sends a client request upstream and returns the response as soon as its status and
     * headers are known, with an OpenAI-shaped body that is read as it arrives. A non-2xx
     * status is returned, not thrown; the engine classifies it (429, 401/403, 5xx, …).
     *
     * @throws IOException on a network failure or timeout before the response started
     */
    UpstreamResponse send(UpstreamCall call) throws IOException;

    /**
     * Checks a credential against the upstream.
     *
     * @return null if the upstream accepted it, else a one-line reason (never containing the secret)
     * @throws IOException if the upstream could not be reached
     */
    String validate(UpstreamCall call) throws IOException;
}
