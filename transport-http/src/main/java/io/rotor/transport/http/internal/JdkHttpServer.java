package io.rotor.transport.http.internal;

import io.rotor.api.Admin;
import io.rotor.api.Gateway;
import io.rotor.api.InboundServer;
import io.rotor.api.MetricsExporter;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.ComponentException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * The inbound OpenAI-compatible server: the JDK's {@code com.sun.net.httpserver} handler API served by
 * {@link VirtualThreadHttpServer}, one virtual thread per connection. Announces itself as {@link
 * InboundServer} only once it listens, so whoever waits for that service can connect at once (and
 * learns the real port when configured with 0).
 */
@Component(configurationPid = "rotor.server", configurationPolicy = ConfigurationPolicy.REQUIRE)
public final class JdkHttpServer {

    private static final System.Logger LOG = System.getLogger(JdkHttpServer.class.getName());

    // Bursts of new connections from a benchmark would otherwise overflow the OS default of 50.
    private static final int BACKLOG = 1024;
    // Lets responses in flight finish when Rotor stops, without holding shutdown hostage to long streams.
    private static final Duration STOP_DELAY = Duration.ofSeconds(1);

    /** Routes only the master key may use (DESIGN §4, "Admin"). */
    private static final String[] ADMIN_PREFIXES = {"/admin", "/v1/config/", "/debug/"};

    private final VirtualThreadHttpServer server;
    private final InetSocketAddress address;
    private final ServiceRegistration<InboundServer> registration;

    /**
     * Binds and starts serving.
     *
     * @param context where to register {@link InboundServer}; null registers nothing (tests)
     */
    @Activate
    public JdkHttpServer(@Reference Gateway gateway, @Reference Admin admin, @Reference MetricsExporter metrics,
            ServerConfiguration config,
            BundleContext context) {
        InetSocketAddress requested = new InetSocketAddress(config.server_host(), config.server_port());
        try {
            server = new VirtualThreadHttpServer(requested, BACKLOG);
        } catch (IOException e) {
            throw new ComponentException("cannot listen on " + config.server_host() + ":" + config.server_port()
                    + ": " + e.getMessage(), e);
        }
        server.createContext("/", new ApiHandler(gateway, metrics, config.server_maxBodyBytes()));
        AdminHandler adminHandler = new AdminHandler(gateway, admin);
        for (String prefix : ADMIN_PREFIXES) {
            server.createContext(prefix, adminHandler);
        }
        server.start();
        address = server.address();
        LOG.log(Level.INFO, "Rotor listening on http://{0}:{1,number,#}", host(address), address.getPort());
        InboundServer inbound = () -> address;
        registration = context == null ? null : context.registerService(InboundServer.class, inbound, null);
    }

    /** Returns the address the server listens on. */
    public InetSocketAddress address() {
        return address;
    }

    @Deactivate
    public void stop() {
        if (registration != null) {
            try {
                registration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // The framework unregisters a stopping bundle's services itself.
            }
        }
        server.stop(STOP_DELAY);
    }

    private static String host(InetSocketAddress address) {
        String host = address.getAddress() != null ? address.getAddress().getHostAddress() : address.getHostString();
        return host.contains(":") ? "[" + host + "]" : host;
    }
}
