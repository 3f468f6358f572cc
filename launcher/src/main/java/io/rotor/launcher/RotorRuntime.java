package io.rotor.launcher;

import io.rotor.api.Account;
import io.rotor.api.AccountStore;
import io.rotor.api.Admin;
import io.rotor.api.InboundServer;
import io.rotor.api.RotorException;
import io.rotor.api.SecretCipher;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.felix.framework.Felix;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Rotor running inside an embedded Felix framework: installs the bundles found next to the
 * launcher, feeds them the configuration in order (store and cipher, then the engine, then the
 * HTTP server) and hands out the services the CLI needs.
 */
public final class RotorRuntime implements AutoCloseable {

    /** What to start: the whole gateway, or only the engine for a CLI command. */
    public enum Mode { SERVE, CLI }

    private static final System.Logger LOG = System.getLogger(RotorRuntime.class.getName());
    private static final Duration SERVICE_TIMEOUT = Duration.ofSeconds(20);
    /** The API version the system bundle exports; keep in step with io.rotor.api's package-info. */
    private static final String API_PACKAGES = "io.rotor.api;version=0.1.0,"
            + "org.osgi.service.cm;version=1.6.1,"
            // GraalJS (no bundle) from the class path, for the script strategies bundle; keep in step with graalvm.version.
            + "org.graalvm.polyglot;version=25.4.4,org.graalvm.polyglot.proxy;version=25.4.4,"
            + "org.graalvm.polyglot.io;version=25.4.4,org.graalvm.options;version=25.4.4";

    private final Felix framework;
    private final Path storage;

    private RotorRuntime(Felix framework, Path storage) {
        this.framework = framework;
        this.storage = storage;
    }

    /**
     * Boots the framework and waits until the mode's services are up.
     *
     * @throws RotorException if the store's secrets do not decrypt with the configured key (nothing is changed)
     * @throws IllegalStateException if a bundle or service fails to start
     */
    public static RotorRuntime start(RotorConfig config, Mode mode) {
        Path storage;
        try {
            storage = Files.createTempDirectory("rotor-felix-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the framework's cache folder", e);
        }
        Map<String, Object> properties = new HashMap<>();
        properties.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        properties.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        properties.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, API_PACKAGES);
        properties.put("felix.log.level", "1");
        // Without a LogService, SCR prints component failures (a port in use, …) to the console at this level.
        properties.put("ds.loglevel", "warn");
        // Secrets travel as framework properties: memory only, unlike Configuration Admin's files.
        putIfSet(properties, "rotor.security.masterKey", config.secret("security.masterKey"));
        putIfSet(properties, "rotor.security.encryptionKey", config.secret("security.encryptionKey"));
        properties.put("rotor.generateMasterKey", String.valueOf(mode == Mode.SERVE));
        properties.put("rotor.mode", mode.name().toLowerCase());
        Felix felix = new Felix(properties);
        RotorRuntime runtime = new RotorRuntime(felix, storage);
        try {
            StartupPhases phases = new StartupPhases();
            felix.init();
            felix.start();
            phases.mark("framework");
            runtime.installBundles(bundleDirectory());
            phases.mark("bundles");
            runtime.configure(config, mode, phases);
            phases.print();
            return runtime;
        } catch (RuntimeException | BundleException e) {
            runtime.close();
            if (e instanceof RuntimeException runtimeException) {
                throw runtimeException;
            }
            throw new IllegalStateException("cannot start the framework: " + e.getMessage(), e);
        }
    }

    private void installBundles(Path directory) throws BundleException {
        BundleContext context = framework.getBundleContext();
        List<Path> jars;
        try (Stream<Path> files = Files.list(directory)) {
            jars = files.filter(p -> p.toString().endsWith(".jar")).sorted(Comparator.naturalOrder()).toList();
        } catch (IOException e) {
            throw new IllegalStateException("cannot list bundles in " + directory + ": " + e.getMessage(), e);
        }
        List<Bundle> installed = new ArrayList<>();
        for (Path jar : jars) {
            installed.add(context.installBundle(jar.toUri().toString()));
        }
        for (Bundle bundle : installed) {
            if (bundle.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                bundle.start();
            }
        }
    }

    private void configure(RotorConfig config, Mode mode, StartupPhases phases) {
        ConfigurationAdmin configAdmin = await(ConfigurationAdmin.class);
        update(configAdmin, "rotor", config.settings());
        AccountStore store = await(AccountStore.class);
        SecretCipher cipher = await(SecretCipher.class);
        verifySecrets(store, cipher);
        phases.mark("store");
        update(configAdmin, "rotor.engine", Map.of("mode", mode.name().toLowerCase()));
        await(Admin.class);
        phases.mark("engine");
        if (mode == Mode.SERVE) {
            requireFreePort(config.get("server.host"), config.get("server.port"));
            Map<String, String> server = new HashMap<>();
            config.settings().forEach((key, value) -> {
                if (key.startsWith("server.")) {
                    server.put(key, value);
                }
            });
            update(configAdmin, "rotor.server", server);
            await(InboundServer.class);
            phases.mark("server");
        }
    }

    /**
     * Refuses to go on when any stored secret does not decrypt: serving, or adding accounts under
     * another key, would leave a store that no single key can read.
     */
    private static void verifySecrets(AccountStore store, SecretCipher cipher) {
        for (Account account : store.snapshot().accounts()) {
            for (String ciphertext : account.secrets().values()) {
                cipher.decrypt(ciphertext, account.id());
            }
        }
    }

    /** Fails fast with a clear message instead of waiting for a server component that cannot bind. */
    private static void requireFreePort(String host, String port) {
        int number;
        try {
            number = Integer.parseInt(port.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("server.port must be a number, got '" + port + "'");
        }
        if (number == 0) {
            return;
        }
        try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new java.net.InetSocketAddress(host, number));
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen on " + host + ":" + number + " (" + e.getMessage()
                    + "); is another server running there? Set server.port to another port.");
        }
    }

    private static void update(ConfigurationAdmin configAdmin, String pid, Map<String, String> values) {
        try {
            Configuration configuration = configAdmin.getConfiguration(pid, "?");
            Dictionary<String, Object> dictionary = new Hashtable<>(values);
            configuration.update(dictionary);
        } catch (IOException e) {
            throw new IllegalStateException("cannot configure " + pid + ": " + e.getMessage(), e);
        }
    }

    /** Waits for a service of the given type and returns it. */
    public <T> T await(Class<T> type) {
        ServiceTracker<T, T> tracker = new ServiceTracker<>(framework.getBundleContext(), type, null);
        tracker.open();
        try {
            T service = tracker.waitForService(SERVICE_TIMEOUT.toMillis());
            if (service == null) {
                throw new IllegalStateException(type.getSimpleName() + " did not start within "
                        + SERVICE_TIMEOUT.toSeconds() + " s" + inactiveBundles() + "; see the log above for the cause");
            }
            return service;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + type.getSimpleName(), e);
        }
    }

    private String inactiveBundles() {
        StringBuilder inactive = new StringBuilder();
        for (Bundle bundle : framework.getBundleContext().getBundles()) {
            if (bundle.getState() != Bundle.ACTIVE && bundle.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                inactive.append(inactive.isEmpty() ? " (bundles not active: " : ", ").append(bundle.getSymbolicName());
            }
        }
        return inactive.isEmpty() ? "" : inactive.append(')').toString();
    }

    /** Stops every bundle (the engine flushes its statistics) and removes the framework cache. */
    @Override
    public void close() {
        try {
            if ((framework.getState() & (Bundle.ACTIVE | Bundle.STARTING)) != 0) {
                framework.stop();
                FrameworkEvent event = framework.waitForStop(30_000);
                if (event.getType() == FrameworkEvent.WAIT_TIMEDOUT) {
                    LOG.log(System.Logger.Level.WARNING, "framework did not stop within 30 s");
                }
            }
        } catch (BundleException | InterruptedException e) {
            LOG.log(System.Logger.Level.WARNING, "framework stop failed: {0}", e.getMessage());
        } finally {
            deleteQuietly(storage);
        }
    }

    /** The folder holding the bundles: {@code bundles/} next to the launcher jar, or {@code rotor.home}. */
    static Path bundleDirectory() {
        String home = System.getProperty("rotor.home");
        Path base;
        if (home != null) {
            base = Path.of(home);
        } else {
            try {
                Path jar = Path.of(RotorRuntime.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                base = jar.getParent();
            } catch (URISyntaxException e) {
                throw new IllegalStateException("cannot locate the launcher jar", e);
            }
        }
        Path bundles = base.resolve("bundles");
        if (!Files.isDirectory(bundles)) {
            throw new IllegalStateException("no bundles folder at " + bundles
                    + " (run from the distribution, or set -Drotor.home)");
        }
        return bundles;
    }

    private static void putIfSet(Map<String, Object> properties, String key, String value) {
        if (value != null) {
            properties.put(key, value);
        }
    }

    private static void deleteQuietly(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a leftover temp folder is harmless
        }
    }
}
