package io.rotor.strategies.graaljs.internal;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;

/**
 * Turns every top-level {@code *.js} file of {@code plugins.dir} into a {@link GraalJsRotationStrategy}
 * service named after the file ({@code by-tag.js} → {@code by-tag}), and keeps the services in
 * step with the folder: it looks every {@link #POLL_INTERVAL} and applies a change once the file
 * has read the same on two looks in a row, so a file caught halfway through being written is
 * never loaded. Sub-folders (such as {@code examples/}) are not read.
 *
 * <p>Registering a script does not start GraalJS. Once some script has run (and the engine
 * exists), new and edited files are loaded when they are found; before that a script is first
 * loaded by its first pick. Either way a file that does not load (syntax error, an exception or
 * an endless loop at top level, no {@code pick} function) is reported in one log line and its
 * strategy is not registered, or is removed, until the file changes; pools using it then fall
 * back to round-robin.
 *
 * <p>Polling rather than a {@code WatchService}: it behaves the same on every file system,
 * including network and container mounts that deliver no events, and costs a directory listing
 * and a few small reads twice a second.
 */
@Component(service = {}, configurationPid = "rotor", configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = ScriptsConfiguration.class)
public final class ScriptDirectoryWatcher {

    static final long DEFAULT_TIMEOUT_MS = 50;
    /** Framework property set by the launcher: {@code serve} or {@code cli}. */
    static final String MODE_PROPERTY = "rotor.mode";
    static final String CLI_MODE = "cli";
    static final Duration POLL_INTERVAL = Duration.ofMillis(500);
    static final long MAX_SCRIPT_BYTES = 1 << 20;

    private static final System.Logger LOG = System.getLogger(ScriptDirectoryWatcher.class.getName());
    private static final String SUFFIX = ".js";
    /** Names usable in a config value and an LDAP filter as they are. */
    private static final Pattern STRATEGY_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    private final Path directory;
    private final GraalJsRuntime runtime;
    private final StrategyRegistry registry;
    private final ScheduledExecutorService poller;
    /** By file name: the scripts registered now. */
    private final Map<String, Registered> registered = new HashMap<>();
    /** By file name: the content of a version that was refused, so it is reported once, not every look. */
    private final Map<String, String> refused = new HashMap<>();
    /** By file name: what the previous look found. */
    private Map<String, Found> previousLook = Map.of();
    private boolean closed;

    @Activate
    public ScriptDirectoryWatcher(BundleContext context, ScriptsConfiguration config) {
        this(Path.of(config.plugins_dir()), timeout(config.script_timeoutMs()), StrategyRegistry.of(context));
        // A CLI command never picks: it need not read, register or watch anything.
        if (!CLI_MODE.equals(context.getProperty(MODE_PROPERTY))) {
            start();
            poller.scheduleWithFixedDelay(this::lookSafely, POLL_INTERVAL.toMillis(), POLL_INTERVAL.toMillis(),
                    TimeUnit.MILLISECONDS);
        }
    }

    /** Watches {@code directory} once {@link #start()}ed; {@link #look()} applies the changes since. */
    ScriptDirectoryWatcher(Path directory, Duration timeout, StrategyRegistry registry) {
        this.directory = directory.toAbsolutePath().normalize();
        this.runtime = new GraalJsRuntime(timeout);
        this.registry = registry;
        this.poller = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "rotor-script-watcher");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Reads the folder and registers what it holds. Every file counts as settled here, so the
     * strategies are there before the server takes its first request.
     */
    synchronized void start() {
        Map<String, Found> found = list();
        previousLook = found;
        apply(found);
    }

    private static Duration timeout(long millis) {
        if (millis <= 0) {
            LOG.log(System.Logger.Level.WARNING, "script.timeoutMs must be positive, got {0}; using {1}", millis,
                    DEFAULT_TIMEOUT_MS);
            return Duration.ofMillis(DEFAULT_TIMEOUT_MS);
        }
        return Duration.ofMillis(millis);
    }

    @Deactivate
    void deactivate() {
        poller.shutdown();
        try {
            poller.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        close();
    }

    /** Unregisters every strategy and closes GraalJS. */
    synchronized void close() {
        closed = true;
        poller.shutdown();
        for (Registered script : registered.values()) {
            script.registration.unregister();
            script.strategy.close();
        }
        registered.clear();
        runtime.close();
    }

    GraalJsRuntime runtime() {
        return runtime;
    }

    private void lookSafely() {
        try {
            look();
        } catch (RuntimeException e) {
            // One bad look must not end the schedule.
            LOG.log(System.Logger.Level.WARNING, "looking at " + directory + " for scripts failed: " + e);
        }
    }

    /**
     * Looks at the folder once: applies the files that read the same as on the previous look,
     * removes the strategies whose files were missing on both, drops strategies found not to
     * load, loads scripts not loaded yet once GraalJS runs, and publishes the counters.
     */
    synchronized void look() {
        if (closed) {
            return;
        }
        Map<String, Found> found = list();
        Map<String, Found> settled = new HashMap<>();
        found.forEach((fileName, file) -> {
            if (file.equals(previousLook.get(fileName))) {
                settled.put(fileName, file);
            }
        });
        for (String fileName : registered.keySet()) {
            if (!found.containsKey(fileName) && !previousLook.containsKey(fileName)) {
                // Missing on two looks in a row: an editor's delete-and-rewrite is over within one.
                settled.put(fileName, null);
            }
        }
        previousLook = found;
        apply(settled);
        dropScriptsThatDoNotLoad();
        publishCounters();
    }

    private void apply(Map<String, Found> files) {
        files.forEach((fileName, file) -> {
            if (file == null) {
                remove(fileName, "is gone");
            } else if (file.problem() != null) {
                if (!file.problem().equals(refused.put(fileName, file.problem()))) {
                    LOG.log(System.Logger.Level.WARNING, "script " + label(fileName) + " " + file.problem());
                }
                remove(fileName, "is ignored now");
            } else {
                load(fileName, file.text());
            }
        });
        // A refused version is forgotten when its file goes, so the same text is loaded if it comes back.
        refused.keySet().removeIf(fileName -> !previousLook.containsKey(fileName));
    }

    private void load(String fileName, String text) {
        Registered current = registered.get(fileName);
        if ((current != null && current.strategy.program().text().equals(text)) || text.equals(refused.get(fileName))) {
            return;
        }
        refused.remove(fileName);
        String name = strategyName(fileName);
        ScriptProgram program = new ScriptProgram(runtime, fileName, text);
        if (runtime.started()) {
            ScriptFailure failure = program.verify();
            if (failure != null && failure.permanent()) {
                program.close();
                refuse(fileName, text, failure);
                return;
            }
        }
        if (current != null) {
            current.strategy.replace(program);
            LOG.log(System.Logger.Level.INFO, "script " + label(fileName) + " changed; strategy '" + name
                    + "' reloaded");
            return;
        }
        if (registry.taken(name)) {
            program.close();
            refused.put(fileName, text);
            LOG.log(System.Logger.Level.WARNING, "script " + label(fileName) + " ignored: a strategy named '" + name
                    + "' already exists; rename the file");
            return;
        }
        GraalJsRotationStrategy strategy = new GraalJsRotationStrategy(name, directory.resolve(fileName).toString(),
                label(fileName), program);
        Map<String, Object> properties = strategy.properties();
        registered.put(fileName, new Registered(strategy, registry.register(strategy, properties), properties));
        LOG.log(System.Logger.Level.INFO, "strategy '" + name + "' registered from " + label(fileName));
    }

    private void refuse(String fileName, String text, ScriptFailure failure) {
        refused.put(fileName, text);
        Registered removed = registered.remove(fileName);
        if (removed != null) {
            removed.registration.unregister();
            removed.strategy.close();
        }
        LOG.log(System.Logger.Level.WARNING, "script " + label(fileName) + " " + failure.getMessage() + "; strategy '"
                + strategyName(fileName) + "' " + (removed != null ? "removed" : "not registered")
                + " until the file is fixed (pools using it fall back to round-robin)");
    }

    private void remove(String fileName, String why) {
        Registered removed = registered.remove(fileName);
        if (removed != null) {
            removed.registration.unregister();
            removed.strategy.close();
            LOG.log(System.Logger.Level.INFO, "script " + label(fileName) + " " + why + "; strategy '"
                    + removed.strategy.name() + "' removed (pools using it fall back to round-robin)");
        }
    }

    /**
     * A script registered before GraalJS ran is first loaded by a pick; if that showed it does not
     * load, or GraalJS has since started and it was not loaded yet, settle it here.
     */
    private void dropScriptsThatDoNotLoad() {
        for (Map.Entry<String, Registered> entry : new ArrayList<>(registered.entrySet())) {
            ScriptProgram program = entry.getValue().strategy.program();
            ScriptFailure failure = program.loadFailure();
            if (failure == null && runtime.started() && !program.loaded()) {
                failure = program.verify();
            }
            if (failure != null && failure.permanent()) {
                refuse(entry.getKey(), program.text(), failure);
            }
        }
    }

    private void publishCounters() {
        for (Registered script : registered.values()) {
            Map<String, Object> properties = script.strategy.properties();
            if (!properties.equals(script.published)) {
                script.registration.update(properties);
                script.published = properties;
            }
        }
    }

    /** The top-level *.js files by file name, in name order; dot files (editor droppings) are skipped. */
    private Map<String, Found> list() {
        Map<String, Found> found = new TreeMap<>();
        if (!Files.isDirectory(directory)) {
            return found;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*" + SUFFIX)) {
            for (Path path : files) {
                String fileName = path.getFileName().toString();
                if (fileName.startsWith(".") || !Files.isRegularFile(path)) {
                    continue;
                }
                Found file = read(path, fileName);
                if (file != null) {
                    found.put(fileName, file);
                }
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot list " + directory + ": " + e.getMessage());
            // Keep what is registered: a folder that cannot be read now has not lost its files.
            return new HashMap<>(previousLook);
        }
        return found;
    }

    private static String strategyName(String fileName) {
        return fileName.substring(0, fileName.length() - SUFFIX.length());
    }

    private static Found read(Path path, String fileName) {
        if (!STRATEGY_NAME.matcher(strategyName(fileName)).matches()) {
            return Found.problem("ignored: a strategy name may hold only letters, digits, '.', '_' and '-'");
        }
        try {
            if (Files.size(path) > MAX_SCRIPT_BYTES) {
                return Found.problem("ignored: larger than " + (MAX_SCRIPT_BYTES >> 10) + " KiB");
            }
            return new Found(Files.readString(path), null);
        } catch (MalformedInputException e) {
            return Found.problem("ignored: not UTF-8 text");
        } catch (IOException e) {
            // Removed or replaced between listing and reading: the next look sees what it became.
            return null;
        }
    }

    private String label(String fileName) {
        Path folder = directory.getFileName();
        return (folder == null ? "" : folder + "/") + fileName;
    }

    /** Names of the scripts registered now (for tests). */
    synchronized Set<String> registeredFiles() {
        return new HashSet<>(registered.keySet());
    }

    /** A file as read: its text, or why it cannot be used. */
    private record Found(String text, String problem) {

        static Found problem(String problem) {
            return new Found(null, problem);
        }
    }

    private static final class Registered {

        final GraalJsRotationStrategy strategy;
        final StrategyRegistry.Registration registration;
        Map<String, Object> published;

        Registered(GraalJsRotationStrategy strategy, StrategyRegistry.Registration registration,
                Map<String, Object> published) {
            this.strategy = strategy;
            this.registration = registration;
            this.published = published;
        }
    }
}
