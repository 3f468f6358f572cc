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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.apache.felix.framework.Felix;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Rotor running inside an embedded Felix framework: installs the bundles found next to the
 * launcher, feeds them the configuration in order (store and cipher, then the engine, then the
 * HTTP server) and hands out the services the CLI needs.
 */
public final class RotorRuntime implements AutoCloseable {

    /**
     * What to start: the whole gateway, the engine for a CLI command, only stores ({@code store migrate}),
     * or the engine for an in-process client ({@code EMBEDDED}: no HTTP server, no generated master key,
     * plugins watched as when serving).
     */
    public enum Mode {
        SERVE, CLI, STORES, EMBEDDED;

        /** Runs until closed, so the plugins folder is watched rather than scanned once. */
        boolean longRunning() {
            return this == SERVE || this == EMBEDDED;
        }
    }

    /** Store bundles are named {@code io.rotor.storage.<store>}; only the selected ones are started. */
    private static final String STORE_BUNDLE_PREFIX = "io.rotor.storage.";

    private static final System.Logger LOG = System.getLogger(RotorRuntime.class.getName());
    private static final Duration SERVICE_TIMEOUT = Duration.ofSeconds(20);
    /** The API version the system bundle exports; keep in step with io.rotor.api's package-info. */
    private static final String API_PACKAGES = "io.rotor.api;version=0.4.0,"
            + "org.osgi.service.cm;version=1.6.1,"
            // GraalJS (no bundle) from the class path, for the script strategies bundle; keep in step with graalvm.version.
            + "org.graalvm.polyglot;version=25.4.4,org.graalvm.polyglot.proxy;version=25.4.4,"
            + "org.graalvm.polyglot.io;version=25.4.4,org.graalvm.options;version=25.4.4";

    private static final String FILEINSTALL = "org.apache.felix.fileinstall";
    /** Held so its handler is not lost with a collected logger. */
    private static final java.util.logging.Logger FILEINSTALL_LOG = java.util.logging.Logger.getLogger("fileinstall");

    private final Felix framework;
    private final Path storage;
    private java.util.concurrent.ScheduledExecutorService pluginCheck;

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
        return start(config, mode, List.of(config.store()));
    }

    /**
     * Boots the framework with only the given stores (and not the engine), each configured with its
     * path from {@code config}; get them with {@link #store}.
     */
    public static RotorRuntime startStores(RotorConfig config, List<String> stores) {
        return start(config, Mode.STORES, stores);
    }

    private static RotorRuntime start(RotorConfig config, Mode mode, List<String> stores) {
        Main.awaitLogging();
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
        // These levels may be raised with system properties of the same names (ROTOR_JAVA_OPTS) to debug start-up.
        properties.put("felix.log.level", System.getProperty("felix.log.level", "1"));
        // Without a LogService, SCR prints component failures (a port in use, …) to the console at this level.
        properties.put("ds.loglevel", System.getProperty("ds.loglevel", "warn"));
        // Secrets travel as framework properties: memory only, unlike Configuration Admin's files.
        putIfSet(properties, "rotor.security.masterKey", config.secret("security.masterKey"));
        putIfSet(properties, "rotor.security.encryptionKey", config.secret("security.encryptionKey"));
        Map<String, String> upstreamSecrets = config.upstreamSecrets();
        properties.put("rotor.upstream.secrets", String.join(",", upstreamSecrets.keySet()));
        upstreamSecrets.forEach((key, value) -> properties.put("rotor.secret." + key, value));
        properties.put("rotor.generateMasterKey", String.valueOf(mode == Mode.SERVE));
        properties.put("rotor.mode", mode.name().toLowerCase());
        List<Path> plugins = mode == Mode.STORES ? List.of() : pluginFolders(config, mode);
        watchPlugins(properties, plugins, mode);
        Felix felix = new Felix(properties);
        RotorRuntime runtime = new RotorRuntime(felix, storage);
        try {
            StartupPhases phases = new StartupPhases();
            felix.init();
            felix.start();
            phases.mark("framework");
            runtime.installBundles(bundleDirectory(), stores, !plugins.isEmpty());
            runtime.reportNonBundles(plugins, mode);
            phases.mark("bundles");
            runtime.configure(config, mode, stores, phases);
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

    /** Installs every jar, and starts every bundle but the stores that were not selected. */
    private void installBundles(Path directory, List<String> stores, boolean watch) throws BundleException {
        BundleContext context = framework.getBundleContext();
        List<Path> jars;
        try (Stream<Path> files = Files.list(directory)) {
            jars = files.filter(p -> p.toString().endsWith(".jar")).sorted(Comparator.naturalOrder()).toList();
        } catch (IOException e) {
            throw new IllegalStateException("cannot list bundles in " + directory + ": " + e.getMessage(), e);
        }
        List<Bundle> installed = new ArrayList<>();
        for (Path jar : jars) {
            // By reference: Felix reads the jar where it lies instead of copying it (21 MB in all) into
            // the framework's cache folder at every start.
            installed.add(context.installBundle("reference:" + jar.toUri()));
        }
        List<String> missing = new ArrayList<>(stores);
        for (Bundle bundle : installed) {
            String name = bundle.getSymbolicName();
            if (name != null && name.startsWith(STORE_BUNDLE_PREFIX)) {
                // An unselected store stays resolved but stopped: it creates no file and offers no service.
                if (!missing.remove(name.substring(STORE_BUNDLE_PREFIX.length()))) {
                    continue;
                }
            }
            // FileInstall without a folder would watch ./load.
            if (!watch && FILEINSTALL.equals(name)) {
                continue;
            }
            if (bundle.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                bundle.start();
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("no bundle for store '" + missing.get(0) + "' (" + STORE_BUNDLE_PREFIX
                    + missing.get(0) + ") in " + directory);
        }
    }

    /**
     * The drop-in folders Felix FileInstall watches: {@code plugins.dir} and, unless that key is set
     * explicitly, the distribution's own {@code plugins/} next to {@code bundles/}, so the shipped adapters
     * work from any working directory. A CLI command only takes the folders that exist (it should not
     * create one as a side effect); serving creates {@code plugins.dir} so there is somewhere to drop into.
     */
    private static List<Path> pluginFolders(RotorConfig config, Mode mode) {
        Set<Path> folders = new LinkedHashSet<>();
        String configured = config.get("plugins.dir");
        if (configured != null && !configured.isBlank()) {
            folders.add(Path.of(configured).toAbsolutePath().normalize());
        }
        if (!config.isExplicit("plugins.dir")) {
            folders.add(bundleDirectory().resolveSibling("plugins").toAbsolutePath().normalize());
        }
        if (mode == Mode.SERVE && configured != null && !configured.isBlank()) {
            try {
                Files.createDirectories(Path.of(configured).toAbsolutePath()); // somewhere to drop jars into
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot create plugins.dir {0}: {1}", configured, e.getMessage());
            }
        }
        return folders.stream().filter(Files::isDirectory).toList();
    }

    /**
     * Framework properties for FileInstall: bundle jars only (the {@code *.js} files belong to the script
     * strategies), the first scan done before its bundle's start returns (so a CLI command sees the
     * adapters), new bundles started, and its errors routed to {@link #reportFileInstall} as one line each.
     */
    private static void watchPlugins(Map<String, Object> properties, List<Path> folders, Mode mode) {
        properties.put("felix.fileinstall.dir",
                String.join(",", folders.stream().map(Path::toString).toList()));
        // A CLI command lives for seconds: one scan at start is all it needs.
        properties.put("felix.fileinstall.poll", mode.longRunning() ? "500" : String.valueOf(Integer.MAX_VALUE));
        properties.put("felix.fileinstall.filter", ".*\\.jar");
        properties.put("felix.fileinstall.noInitialDelay", "true");
        properties.put("felix.fileinstall.bundles.new.start", "true");
        properties.put("felix.fileinstall.log.level", System.getProperty("felix.fileinstall.log.level", "2"));
        properties.put("felix.fileinstall.log.default", "jul");
        if (FILEINSTALL_LOG.getHandlers().length == 0) {
            FILEINSTALL_LOG.setUseParentHandlers(false);
            FILEINSTALL_LOG.addHandler(new java.util.logging.Handler() {
                @Override
                public void publish(java.util.logging.LogRecord record) {
                    reportFileInstall(record.getMessage(), record.getThrown());
                }

                @Override
                public void flush() {
                }

                @Override
                public void close() {
                }
            });
        }
    }

    /** One line per FileInstall failure (its own format is a stack trace on standard output). */
    private static void reportFileInstall(String message, Throwable cause) {
        if (message.contains("is already installed.  Updating this bundle instead")) {
            return; // the same plugin in both folders: one bundle, as intended
        }
        StringBuilder line = new StringBuilder(message);
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            line.append(": ").append(t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage());
        }
        LOG.log(System.Logger.Level.WARNING, "plugin: {0}", line);
    }

    /**
     * FileInstall ignores files it cannot read as a bundle without a word; this names each such jar once
     * (again when it changes), on FileInstall's own rhythm.
     */
    private void reportNonBundles(List<Path> folders, Mode mode) {
        Map<Path, Long> reported = new java.util.concurrent.ConcurrentHashMap<>();
        Runnable scan = () -> {
            for (Path folder : folders) {
                List<Path> jars;
                try (Stream<Path> files = Files.list(folder)) {
                    jars = files.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
                } catch (IOException e) {
                    continue; // not there (yet)
                }
                reported.keySet().removeIf(jar -> jar.startsWith(folder) && !jars.contains(jar));
                for (Path jar : jars) {
                    long modified;
                    try {
                        modified = Files.getLastModifiedTime(jar).toMillis();
                    } catch (IOException e) {
                        continue;
                    }
                    Long seen = reported.get(jar);
                    if (seen != null && seen == modified) {
                        continue;
                    }
                    reported.put(jar, modified);
                    String problem = bundleProblem(jar);
                    if (problem != null) {
                        LOG.log(System.Logger.Level.WARNING, "skipping plugin {0}: {1}", jar, problem);
                    }
                }
            }
        };
        scan.run();
        if (mode.longRunning()) {
            java.util.concurrent.ScheduledExecutorService timer =
                    java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                        Thread thread = new Thread(r, "rotor-plugin-check");
                        thread.setDaemon(true);
                        return thread;
                    });
            timer.scheduleWithFixedDelay(scan, 500, 500, java.util.concurrent.TimeUnit.MILLISECONDS);
            pluginCheck = timer;
        }
    }

    /** Why a jar is no bundle, or null when it has a Bundle-SymbolicName. */
    static String bundleProblem(Path jar) {
        try (JarFile file = new JarFile(jar.toFile())) {
            Manifest manifest = file.getManifest();
            if (manifest == null || manifest.getMainAttributes().getValue(Constants.BUNDLE_SYMBOLICNAME) == null) {
                return "not an OSGi bundle (no Bundle-SymbolicName)";
            }
            return null;
        } catch (IOException e) {
            return "not a readable jar (" + e.getMessage() + ")";
        }
    }

    private void configure(RotorConfig config, Mode mode, List<String> stores, StartupPhases phases) {
        ConfigurationAdmin configAdmin = await(ConfigurationAdmin.class);
        update(configAdmin, "rotor", config.settings());
        if (mode == Mode.STORES) {
            stores.forEach(this::store);
            return;
        }
        AccountStore store = store(config.store());
        SecretCipher cipher = await(SecretCipher.class);
        verifySecrets(store, cipher);
        phases.mark("store");
        // The engine's reference is named "store"; the target makes it bind the configured store only.
        update(configAdmin, "rotor.engine", Map.of("mode", mode.name().toLowerCase(),
                "store.target", storeFilter(config.store())));
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
     * Refuses to go on when a stored secret is under a key we do not have: serving, or adding accounts
     * under another key, would leave a store that no single key can read. An account whose secret fails
     * authentication under the right key (altered, or copied from another account) is marked
     * {@code invalid} instead, with a reason, and never used.
     */
    private static void verifySecrets(AccountStore store, SecretCipher cipher) {
        for (Account account : store.snapshot().accounts()) {
            try {
                for (String ciphertext : account.secrets().values()) {
                    cipher.decrypt(ciphertext, account.id(), account.encryptionKeyId());
                }
            } catch (RotorException e) {
                if (e.code() != io.rotor.api.ErrorCode.SECRET_TAMPERED) {
                    throw e;
                }
                LOG.log(System.Logger.Level.WARNING, "account {0} marked invalid: {1}", account.id(), e.getMessage());
                if (account.status() != io.rotor.api.AccountStatus.INVALID
                        || !SecretCipher.TAMPERED_REASON.equals(account.statusReason())) {
                    store.putAccount(account.withStatus(io.rotor.api.AccountStatus.INVALID, SecretCipher.TAMPERED_REASON));
                }
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

    /** Waits for the store of the given kind ({@code json}, {@code sqlite}) and returns it. */
    public AccountStore store(String type) {
        return await(AccountStore.class, storeFilter(type));
    }

    private static String storeFilter(String type) {
        return "(" + AccountStore.TYPE + "=" + type + ")";
    }

    /** Waits for a service of the given type and returns it. */
    public <T> T await(Class<T> type) {
        return await(type, null);
    }

    /** Waits for a service of the given type matching an LDAP filter (or any, for null) and returns it. */
    public <T> T await(Class<T> type, String filter) {
        ServiceTracker<T, T> tracker;
        try {
            tracker = filter == null
                    ? new ServiceTracker<>(framework.getBundleContext(), type, null)
                    : new ServiceTracker<>(framework.getBundleContext(), framework.getBundleContext().createFilter(
                            "(&(" + Constants.OBJECTCLASS + "=" + type.getName() + ")" + filter + ")"), null);
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException("bad service filter " + filter, e);
        }
        tracker.open();
        try {
            T service = tracker.waitForService(SERVICE_TIMEOUT.toMillis());
            if (service == null) {
                throw new IllegalStateException(type.getSimpleName() + (filter == null ? "" : " " + filter)
                        + " did not start within "
                        + SERVICE_TIMEOUT.toSeconds() + " s" + inactiveBundles() + "; see the log above for the cause");
            }
            return service;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + type.getSimpleName(), e);
        }
    }

    /** The installed bundle of that symbolic name, or null (for tests of the plugins folder). */
    Bundle bundle(String symbolicName) {
        for (Bundle bundle : framework.getBundleContext().getBundles()) {
            if (symbolicName.equals(bundle.getSymbolicName())) {
                return bundle;
            }
        }
        return null;
    }

    int bundleCount() {
        return framework.getBundleContext().getBundles().length;
    }

    private String inactiveBundles() {
        StringBuilder inactive = new StringBuilder();
        for (Bundle bundle : framework.getBundleContext().getBundles()) {
            // A selected store that cannot start fails installBundles; the others are stopped on purpose.
            boolean unselectedStore = bundle.getSymbolicName() != null
                    && bundle.getSymbolicName().startsWith(STORE_BUNDLE_PREFIX);
            if (bundle.getState() != Bundle.ACTIVE && !unselectedStore
                    && bundle.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                inactive.append(inactive.isEmpty() ? " (bundles not active: " : ", ").append(bundle.getSymbolicName());
            }
        }
        return inactive.isEmpty() ? "" : inactive.append(')').toString();
    }

    /** The framework's cache folder (Configuration Admin keeps its files there); removed by {@link #close}. */
    Path frameworkStorage() {
        return storage;
    }

    /** Stops every bundle (the engine flushes its statistics) and removes the framework cache. */
    @Override
    public void close() {
        if (pluginCheck != null) {
            pluginCheck.shutdownNow();
        }
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
