package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rotor.api.Account;
import io.rotor.api.NewAccount;
import io.rotor.api.UpstreamAdapter;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.nio.file.StandardCopyOption;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plugins folder, watched by FileInstall: what is in it is installed and started, and only that. */
class PluginsIT {

    private static final Path SHIPPED = Path.of(System.getProperty("rotor.home"), "plugins");
    private static final String K2_JAR = "rotor-plugin-k2think.jar";
    private static final String K2_BUNDLE = "io.rotor.plugins.k2think";
    private static final String MODEL = "MBZUAI-IFM/K2-Think-v2";

    @TempDir
    Path dir;
    private FakeK2Think k2;
    private RotorHarness rotor;
    private final List<String> warnings = new CopyOnWriteArrayList<>();
    private final Logger runtimeLog = Logger.getLogger(RotorRuntime.class.getName());
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            warnings.add(java.text.MessageFormat.format(record.getMessage(), record.getParameters()));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void start() throws Exception {
        k2 = new FakeK2Think().user("pat@example.com", new FakeK2Think.User("pw", false, 100));
        runtimeLog.addHandler(capture);
    }

    @AfterEach
    void stop() {
        runtimeLog.removeHandler(capture);
        if (rotor != null) {
            rotor.close();
        }
        k2.close();
    }

    private void startRotor(Map<String, String> extra) {
        Map<String, String> settings = new java.util.LinkedHashMap<>(extra);
        settings.put("upstream.k2think.baseUrl", k2.baseUrl());
        rotor = new RotorHarness(dir, settings).start();
    }

    private HttpResponse<String> k2Chat() {
        rotor.admin().addAccount(new NewAccount("k2think", null, null, "pat@example.com",
                Map.of(Account.SECRET_PASSWORD, "pw"), null, null, null, null, false));
        return rotor.chat(rotor.addUser("quinn"), MODEL, false);
    }

    @Test
    void anExplicitPluginsFolderReplacesTheShippedOneSoAnAbsentJarMeansNoSuchUpstream() throws IOException {
        Files.createDirectories(dir.resolve("empty-plugins"));
        startRotor(Map.of("plugins.dir", "empty-plugins"));

        HttpResponse<String> response = k2Chat();

        assertEquals(502, response.statusCode(), response.body());
        assertEquals("upstream_error", RotorHarness.json(response.body()).at("/error/code").asText());
        assertEquals(0, k2.signIns("pat@example.com"));
    }

    @Test
    void aBrokenJarIsReportedInOneLineAndSkippedWhileTheOthersStart() throws IOException {
        Path plugins = Files.createDirectories(dir.resolve("my-plugins"));
        Files.copy(SHIPPED.resolve(K2_JAR), plugins.resolve(K2_JAR));
        Files.write(plugins.resolve("broken.jar"), new byte[] {1, 2, 3, 4});
        try (JarOutputStream plain = new JarOutputStream(Files.newOutputStream(plugins.resolve("plain.jar")),
                new Manifest())) {
            plain.flush(); // a jar, but no bundle
        }
        startRotor(Map.of("plugins.dir", "my-plugins"));

        HttpResponse<String> response = k2Chat();

        assertEquals(200, response.statusCode(), response.body());
        assertEquals(1, warnings.stream().filter(w -> w.contains("broken.jar")).count(), warnings.toString());
        assertEquals(1, warnings.stream().filter(w -> w.contains("plain.jar") && w.contains("not an OSGi bundle"))
                .count(), warnings.toString());
    }

    @Test
    void aJarDroppedInWhileRunningIsInstalledAndStartedWithinTwoSeconds() throws Exception {
        Path plugins = Files.createDirectories(dir.resolve("drop"));
        startRotor(Map.of("plugins.dir", "drop"));
        assertEquals(502, k2Chat().statusCode());

        Files.copy(SHIPPED.resolve(K2_JAR), plugins.resolve(K2_JAR));

        assertTrue(eventually(() -> serving(K2_BUNDLE)), "k2think bundle not serving within 2 s");
        assertEquals(200, rotor.chat(rotor.addUser("robin"), MODEL, false).statusCode());
    }

    @Test
    void replacingAJarUpdatesTheBundleAndDeletingItUninstallsIt() throws Exception {
        Path plugins = Files.createDirectories(dir.resolve("drop"));
        Files.copy(SHIPPED.resolve(K2_JAR), plugins.resolve(K2_JAR));
        startRotor(Map.of("plugins.dir", "drop"));
        assertEquals(200, k2Chat().statusCode());
        long id = rotor.runtime().bundle(K2_BUNDLE).getBundleId();

        withHeader(SHIPPED.resolve(K2_JAR), plugins.resolve("next.jar"), "Rotor-Build", "2");
        Files.move(plugins.resolve("next.jar"), plugins.resolve(K2_JAR), StandardCopyOption.REPLACE_EXISTING);

        assertTrue(eventually(() -> {
            Bundle bundle = rotor.runtime().bundle(K2_BUNDLE);
            return bundle != null && "2".equals(bundle.getHeaders().get("Rotor-Build")) && serving(K2_BUNDLE);
        }), "k2think bundle not updated within 2 s");
        assertEquals(id, rotor.runtime().bundle(K2_BUNDLE).getBundleId(), "updated in place, not reinstalled");
        assertEquals(200, rotor.chat(rotor.addUser("robin"), MODEL, false).statusCode());

        Files.delete(plugins.resolve(K2_JAR));

        assertTrue(eventually(() -> rotor.runtime().bundle(K2_BUNDLE) == null), "not uninstalled within 2 s");
        assertEquals(502, rotor.chat(rotor.addUser("sam"), MODEL, false).statusCode());
    }

    @Test
    void aBrokenJarDroppedInWhileRunningIsReportedOnceAndChangesNothingElse() throws Exception {
        Path plugins = Files.createDirectories(dir.resolve("drop"));
        Files.copy(SHIPPED.resolve(K2_JAR), plugins.resolve(K2_JAR));
        startRotor(Map.of("plugins.dir", "drop"));
        int bundles = rotor.runtime().bundleCount();

        Files.write(plugins.resolve("broken.jar"), new byte[] {1, 2, 3, 4});

        assertTrue(eventually(() -> warnings.stream().anyMatch(w -> w.contains("broken.jar"))), warnings.toString());
        Thread.sleep(1_500); // a few more scans: still one line
        assertEquals(1, warnings.stream().filter(w -> w.contains("broken.jar")).count(), warnings.toString());
        assertEquals(bundles, rotor.runtime().bundleCount());
        assertEquals(200, k2Chat().statusCode());
    }

    @Test
    void theExamplePluginDroppedInOffersTheLowestLatencyStrategy() throws Exception {
        Path plugins = Files.createDirectories(dir.resolve("drop"));
        startRotor(Map.of("plugins.dir", "drop"));

        Files.copy(SHIPPED.resolve("examples/rotor-plugin-example-latency-strategy.jar"),
                plugins.resolve("rotor-plugin-example-latency-strategy.jar"));

        assertTrue(eventually(() -> active("com.example.rotor.latency")), "example plugin not active within 2 s");
        io.rotor.api.RotationStrategy strategy = rotor.runtime().await(io.rotor.api.RotationStrategy.class,
                "(" + io.rotor.api.RotationStrategy.NAME + "=lowest-latency)");
        assertEquals("b", strategy.pick(List.of(
                new io.rotor.api.Candidate("a", "openai", 0, 1, List.of(), io.rotor.api.AccountStatus.ACTIVE,
                        0, 0, 0, 0, 0, 0, 250.0),
                new io.rotor.api.Candidate("b", "openai", 0, 1, List.of(), io.rotor.api.AccountStatus.ACTIVE,
                        0, 0, 0, 0, 0, 1, 40.0)),
                new io.rotor.api.PickRequest("m", "quinn", "default", 1)));
    }

    private boolean active(String symbolicName) {
        Bundle bundle = rotor.runtime().bundle(symbolicName);
        return bundle != null && bundle.getState() == Bundle.ACTIVE;
    }

    /**
     * Whether the bundle is active and has registered its upstream adapter. A bundle is {@code ACTIVE}
     * before SCR has read its components (SCR does that while the framework tells listeners the bundle
     * started), so a request right then can still find no adapter.
     */
    private boolean serving(String symbolicName) {
        if (!active(symbolicName)) {
            return false;
        }
        ServiceReference<?>[] services = rotor.runtime().bundle(symbolicName).getRegisteredServices();
        return services != null && Arrays.stream(services).anyMatch(service -> Arrays.asList(
                (String[]) service.getProperty(Constants.OBJECTCLASS)).contains(UpstreamAdapter.class.getName()));
    }

    private static boolean eventually(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(2).toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(50);
        }
        return condition.getAsBoolean();
    }

    /** A copy of a bundle jar with one more manifest header: a new build of the same plugin. */
    static void withHeader(Path source, Path target, String name, String value) throws IOException {
        try (JarInputStream in = new JarInputStream(Files.newInputStream(source))) {
            Manifest manifest = new Manifest(in.getManifest());
            manifest.getMainAttributes().putValue(name, value);
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(target), manifest)) {
                for (JarEntry entry = in.getNextJarEntry(); entry != null; entry = in.getNextJarEntry()) {
                    out.putNextEntry(new JarEntry(entry.getName()));
                    in.transferTo(out);
                    out.closeEntry();
                }
            }
        }
    }

    @Test
    void withoutAnExplicitFolderTheShippedPluginsAreAddedAndABundleIsInstalledOnce() throws IOException {
        // plugins/ next to the config file is the default plugins.dir; the same jar is also shipped.
        Path local = Files.createDirectories(dir.resolve("plugins"));
        Files.copy(SHIPPED.resolve(K2_JAR), local.resolve(K2_JAR));
        startRotor(Map.of());

        HttpResponse<String> response = k2Chat();

        assertEquals(200, response.statusCode(), response.body());
        assertTrue(warnings.isEmpty(), "the second copy is skipped quietly, not refused by the framework: " + warnings);
    }
}
