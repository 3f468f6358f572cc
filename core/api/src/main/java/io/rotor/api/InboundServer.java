package io.rotor.api;

import java.net.InetSocketAddress;
import org.osgi.annotation.versioning.ProviderType;

/** The running inbound HTTP server, registered once it listens. */
@ProviderType
public interface InboundServer {

    /** Returns the address the server listens on (the real port when configured with port 0). */
    InetSocketAddress address();
}
