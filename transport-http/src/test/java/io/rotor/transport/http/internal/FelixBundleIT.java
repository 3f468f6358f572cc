package io.rotor.transport.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rotor.api.Account;
import io.rotor.api.ClientRequest;
import io.rotor.api.ClientResponse;
import io.rotor.api.Admin;
import io.rotor.api.Caller;
import io.rotor.api.Gateway;
import io.rotor.api.MetricsExporter;
import io.rotor.api.HttpCall;
import io.rotor.api.InboundServer;
import io.rotor.api.Upstream;
import io.rotor.api.UpstreamAdapter;
import io.rotor.api.UpstreamCall;
import io.rotor.api.UpstreamHttp;
import io.rotor.api.UpstreamResponse;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.jar.Manifest;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.apache.felix.framework.FrameworkFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.launch.Framework;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Boots Felix with only what the launcher provides (system bundle exporting the API and
 * com.sun.net.httpserver, SCR, Configuration Admin, Jackson) and this bundle as bnd built it, then
 * serves a request end to end: inbound server → gateway → openai adapter → embedded OkHttp → upstream.
 */
@Timeout(60)
class FelixBundleIT {

    private static final Path BUNDLE = Path.of("target", "classes").toAbsolutePath();
    // SCR 2.2 imports the DS API (org.osgi.service.component) rather than exporting it: that bundle is needed too.
    private static final List<String> COMPANIONS = List.of("org.apache.felix.scr-", "org.apache.felix.configadmin-",
            "org.osgi.service.component-", "org.osgi.util.promise-", "org.osgi.util.function-",
            "jackson-annotations-", "jackson-core-", "jackson-databind-");

    @TempDir
    Path storage;

    private final MockWebServer upstream = new MockWebServer();
    private Framework framework;

    @BeforeEach
    void boot() throws Exception {
        upstream.start();
        Map<String, String> properties = new HashMap<>();
        properties.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        properties.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        properties.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, "io.rotor.api;version=0.4.0, com.sun.net.httpserver");
        properties.put("ds.loglevel", "warn");
        framework = new FrameworkFactory().newFramework(properties);
        framework.start();
    }

    @AfterEach
    void shutDown() throws Exception {
        framework.stop();
        framework.waitForStop(20_000);
        upstream.close();
    }

    @Test
    void manifestEmbedsOkHttpInsteadOfImportingIt() throws IOException {
        List<String> imports = importedPackages();

        for (String clause : imports) {
            String name = clause.split(";")[0].strip();
            assertFalse(name.startsWith("okhttp3") || name.startsWith("okio"), clause);
            if (name.startsWith("kotlin")) {
                assertTrue(clause.contains("resolution:=optional"), clause);
            }
        }
        List<String> names = imports.stream().map(clause -> clause.split(";")[0].strip()).toList();
        assertTrue(names.containsAll(List.of("io.rotor.api", "com.sun.net.httpserver",
                "com.fasterxml.jackson.databind", "org.osgi.service.component")), names.toString());
        Manifest manifest = manifest();
        String components = manifest.getMainAttributes().getValue("Service-Component");
        for (String component : List.of("JdkHttpServer", "OkHttpUpstreamClient", "OpenAiAdapter")) {
            assertTrue(components.contains(component), components);
        }
    }

    @Test
    void resolvesInFelixAndServesARequestThroughTheEmbeddedOkHttp() throws Exception {
        BundleContext context = framework.getBundleContext();
        Bundle configAdmin = startBundles(context);

        context.registerService(Gateway.class, new AdapterGateway(context, upstream.url("/v1").toString()), null);
        // The server also needs the admin service; this test only exercises the proxy path, so any call fails.
        context.registerService(Admin.class, (Admin) java.lang.reflect.Proxy.newProxyInstance(Admin.class.getClassLoader(),
                new Class<?>[] {Admin.class}, (proxy, method, args) -> {
                    throw new UnsupportedOperationException("admin is not part of this test");
                }), null);
        context.registerService(MetricsExporter.class, () -> "", null);
        configure(context, configAdmin, "rotor", Map.of("upstream.readTimeoutMs", 5_000L));
        configure(context, configAdmin, "rotor.server", Map.of("server.host", "127.0.0.1", "server.port", 0));

        InboundServer server = await(context, InboundServer.class);
        assertNotNull(await(context, UpstreamHttp.class));
        upstream.enqueue(new MockResponse.Builder().code(200).addHeader("Content-Type", "application/json")
                .body("{\"id\":\"from-upstream\"}").build());

        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            String base = "http://127.0.0.1:" + server.address().getPort();
            var health = client.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(), BodyHandlers.ofString());
            var proxied = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\"}")).build(), BodyHandlers.ofString());

            assertEquals(200, health.statusCode());
            assertEquals(200, proxied.statusCode());
            assertEquals("{\"id\":\"from-upstream\"}", proxied.body());
        }
        assertEquals("Bearer sk-felix", upstream.takeRequest().getHeaders().get("Authorization"));
    }

    @Test
    void loadsTheTlsCodeOfTheEmbeddedOkHttpInsideFelix() throws Exception {
        BundleContext context = framework.getBundleContext();
        configure(context, startBundles(context), "rotor", Map.of("upstream.connectTimeoutMs", 5_000L));
        UpstreamHttp http = await(context, UpstreamHttp.class);

        // A peer that hangs up during the handshake: the call must fail as I/O, not with a missing class.
        try (ServerSocket hangsUp = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        hangsUp.accept().close();
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            });
            URI https = URI.create("https://127.0.0.1:" + hangsUp.getLocalPort() + "/v1/models");

            assertThrows(IOException.class, () -> http.execute(new HttpCall("GET", https, Map.of(), null, null)));
        }
    }

    /** Installs the launcher's companions and this bundle, starts them all; returns Configuration Admin's bundle. */
    private static Bundle startBundles(BundleContext context) throws Exception {
        List<Bundle> companions = new ArrayList<>();
        for (String prefix : COMPANIONS) {
            companions.add(context.installBundle(jarOnTestClassPath(prefix).toUri().toString()));
        }
        Bundle transport = context.installBundle("reference:" + BUNDLE.toUri());
        for (Bundle bundle : companions) {
            bundle.start();
        }
        // Throws, naming the missing requirement, if the manifest asks for a package nobody exports.
        transport.start();
        assertEquals(Bundle.ACTIVE, transport.getState());
        return companions.get(1);
    }

    /** Serves every request from the openai adapter that the bundle registered. */
    private static final class AdapterGateway implements Gateway {

        private final ServiceTracker<UpstreamAdapter, UpstreamAdapter> adapters;
        private final String baseUrl;

        AdapterGateway(BundleContext context, String baseUrl) {
            adapters = new ServiceTracker<>(context, UpstreamAdapter.class, null);
            adapters.open();
            this.baseUrl = baseUrl;
        }

        @Override
        public Caller authenticate(String authorization) {
            return Caller.MASTER;
        }

        @Override
        public ClientResponse handle(ClientRequest request) {
            Upstream openai = new Upstream("main", "openai", baseUrl, List.of("*"), Map.of());
            UpstreamCall call = new UpstreamCall(openai, "acc-1", null, Map.of(Account.SECRET_API_KEY, "sk-felix"),
                    request.endpoint(), "m", false, request.body());
            try {
                UpstreamResponse upstreamResponse = adapters.waitForService(10_000).send(call);
                return new ClientResponse(upstreamResponse.status(),
                        Map.of("Content-Type", upstreamResponse.header("Content-Type")),
                        upstreamResponse.body(), false, upstreamResponse);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Creates a configuration through Configuration Admin, whose types this class loader cannot see. */
    private static void configure(BundleContext context, Bundle configAdmin, String pid, Map<String, Object> values)
            throws Exception {
        Class<?> adminType = configAdmin.loadClass("org.osgi.service.cm.ConfigurationAdmin");
        Class<?> configurationType = configAdmin.loadClass("org.osgi.service.cm.Configuration");
        ServiceTracker<Object, Object> tracker = new ServiceTracker<>(context, adminType.getName(), null);
        // Every service, also those of a class this loader would load differently (the configadmin jar
        // is on the test class path, too).
        tracker.open(true);
        Object admin = tracker.waitForService(20_000);
        assertNotNull(admin, "Configuration Admin was never registered");
        Object configuration = adminType.getMethod("getConfiguration", String.class, String.class)
                .invoke(admin, pid, "?");
        Method update = configurationType.getMethod("update", Dictionary.class);
        update.invoke(configuration, new Hashtable<>(values));
    }

    private static <T> T await(BundleContext context, Class<T> type) throws InterruptedException {
        ServiceTracker<T, T> tracker = new ServiceTracker<>(context, type, null);
        tracker.open();
        T service = tracker.waitForService(20_000);
        assertNotNull(service, type.getSimpleName() + " was never registered");
        return service;
    }

    private static Path jarOnTestClassPath(String prefix) {
        // Surefire hides the real class path behind a manifest-only jar.
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return Arrays.stream(classPath.split(File.pathSeparator))
                .map(Path::of)
                .filter(path -> path.getFileName().toString().startsWith(prefix))
                .findFirst()
                .orElseThrow(() -> new AssertionError(prefix + "*.jar is not on the test class path"));
    }

    private static Manifest manifest() throws IOException {
        try (InputStream in = Files.newInputStream(BUNDLE.resolve("META-INF/MANIFEST.MF"))) {
            return new Manifest(in);
        }
    }

    /** Splits Import-Package at the commas that separate clauses (not those inside quoted versions). */
    private static List<String> importedPackages() throws IOException {
        String header = manifest().getMainAttributes().getValue("Import-Package");
        List<String> clauses = new ArrayList<>();
        StringBuilder clause = new StringBuilder();
        boolean quoted = false;
        for (char c : header.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == ',' && !quoted) {
                clauses.add(clause.toString());
                clause.setLength(0);
            } else {
                clause.append(c);
            }
        }
        clauses.add(clause.toString());
        return clauses;
    }
}
