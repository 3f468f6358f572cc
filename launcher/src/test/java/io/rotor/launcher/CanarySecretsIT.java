package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rotor.launcher.FaultyOpenAi.Fault;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Canary secrets: distinctive values for every kind of secret Rotor holds are pushed through every path
 * (admin API, proxy success and streams, each upstream fault, bad input, the CLI, metrics, the store),
 * with every logger at its most verbose level; none may appear anywhere Rotor writes, in plain text or
 * in its usual encodings. Felix with the real bundles and plugins; fake upstreams speak the real
 * protocols (OpenAI on a raw socket for resets and cut streams, K2 Think, Google's OAuth and Code Assist).
 */
class CanarySecretsIT {

    private static final String OPENAI_KEY = "sk-proj-CNRYopenaiKey7f3Q9xL2w";
    private static final String K2_PASSWORD = "CNRYk2Password!8dE4r";
    private static final String K2_WRONG_PASSWORD = "CNRYk2Wrong#5tY1u";
    private static final String REFRESH_TOKEN = "1//CNRYrefreshTok9Gh2Jk";
    private static final String REVOKED_REFRESH_TOKEN = "1//CNRYrevokedTok3Vb8Nm";
    private static final String SEED_REFRESH_TOKEN = "1//CNRYseedRefresh6Qw2Er";
    private static final String CLIENT_SECRET = "GOCSPX-CNRYclientSecret4Zx7";
    private static final String CONFIG_CLIENT_SECRET = "GOCSPX-CNRYconfigSecret2Lp9";
    private static final String SEED_USER_KEY = "CNRYseedUserKey0Ui3Op5As";
    private static final String MASTER_KEY = "rmk-CNRYmasterKey6Df1Gh8Jk";
    private static final String ENCRYPTION_KEY = "c0a1a2b3c4d5e6f7081928a3b4c5d6e7c0a1a2b3c4d5e6f7081928a3b4c5d6e7";
    private static final String K2_MODEL = "MBZUAI-IFM/K2-Think-v2";
    private static final String GEMINI_MODEL = "gemini-2.5-flash";

    @TempDir
    Path dir;
    private FaultyOpenAi openAi;
    private FakeK2Think k2;
    private FakeGoogle google;
    private RotorHarness rotor;

    /** Everything Rotor said, by where it said it. */
    private final List<String[]> observed = new ArrayList<>();
    private final List<String> logRecords = new ArrayList<>();
    private final Map<String, String> systemProperties = new LinkedHashMap<>();
    private final ByteArrayOutputStream console = new ByteArrayOutputStream();
    private PrintStream originalOut;
    private PrintStream originalErr;
    private Level originalRootLevel;
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            StringBuilder text = new StringBuilder(record.getLevel() + " " + record.getLoggerName() + " "
                    + record.getMessage());
            if (record.getParameters() != null) {
                for (Object parameter : record.getParameters()) {
                    text.append(" | ").append(parameter);
                }
            }
            text.append(" | ").append(new java.util.logging.SimpleFormatter().formatMessage(record));
            if (record.getThrown() != null) {
                StringWriter trace = new StringWriter();
                record.getThrown().printStackTrace(new PrintWriter(trace));
                text.append('\n').append(trace);
            }
            synchronized (logRecords) {
                logRecords.add(text.toString());
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    private String userKey;
    private String otherUserKey;
    private String openAiAccount;

    @BeforeEach
    void start() throws Exception {
        // The most verbose level everywhere: Felix, SCR, FileInstall, java.util.logging (System.Logger goes there).
        for (String[] property : new String[][] {{"felix.log.level", "4"}, {"ds.loglevel", "debug"},
                {"felix.fileinstall.log.level", "4"}}) {
            systemProperties.put(property[0], System.getProperty(property[0]));
            System.setProperty(property[0], property[1]);
        }
        Logger root = Logger.getLogger("");
        originalRootLevel = root.getLevel();
        root.setLevel(Level.ALL);
        capture.setLevel(Level.ALL);
        root.addHandler(capture);
        originalOut = System.out;
        originalErr = System.err;
        System.setOut(new PrintStream(new Tee(originalOut, console), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new Tee(originalErr, console), true, StandardCharsets.UTF_8));

        openAi = new FaultyOpenAi();
        k2 = new FakeK2Think();
        k2.user("canary@example.com", new FakeK2Think.User(K2_PASSWORD, false, 100));
        k2.user("wrong@example.com", new FakeK2Think.User("not-the-canary", false, 100));
        google = new FakeGoogle();
        google.credential(REFRESH_TOKEN, new FakeGoogle.Credential("proj-canary", 2));
        google.credential(SEED_REFRESH_TOKEN, new FakeGoogle.Credential("proj-seed", 100));
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0)) {
            closedPort = probe.getLocalPort();
        }
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("security.masterKey", MASTER_KEY);
        settings.put("security.encryptionKey", ENCRYPTION_KEY);
        settings.put("upstream.fake.type", "openai");
        settings.put("upstream.fake.baseUrl", openAi.baseUrl());
        settings.put("upstream.fake.models", "fake-model,fake-embed");
        settings.put("upstream.dead.type", "openai");
        settings.put("upstream.dead.baseUrl", "http://127.0.0.1:" + closedPort + "/v1");
        settings.put("upstream.dead.models", "dead-model");
        settings.put("upstream.k2think.baseUrl", k2.baseUrl());
        settings.put("upstream.gemini-code-assist.baseUrl", google.baseUrl());
        settings.put("upstream.gemini-code-assist.tokenUrl", google.tokenUrl());
        settings.put("upstream.gemini-code-assist.clientSecret", CONFIG_CLIENT_SECRET);
        settings.put("upstream.readTimeoutMs", "1000");
        settings.put("rateLimit.perAccount", "0");
        settings.put("rateLimit.cooldownMs", "1000");
        settings.put("retry.backoffMs", "0");
        settings.put("server.maxBodyBytes", "100000");
        rotor = new RotorHarness(dir, settings).start();
    }

    @AfterEach
    void stop() throws IOException {
        try {
            if (rotor != null) {
                rotor.close();
            }
            if (openAi != null) {
                openAi.close();
            }
            if (k2 != null) {
                k2.close();
            }
            if (google != null) {
                google.close();
            }
        } finally {
            System.setOut(originalOut);
            System.setErr(originalErr);
            Logger root = Logger.getLogger("");
            root.removeHandler(capture);
            root.setLevel(originalRootLevel);
            systemProperties.forEach((name, value) -> {
                if (value == null) {
                    System.clearProperty(name);
                } else {
                    System.setProperty(name, value);
                }
            });
        }
    }

    @Test
    void noCanarySecretAppearsInAnyLogResponseExportMetricOrFile() throws Exception {
        addAccountsAndUsers();
        driveEveryUpstreamFault();
        driveTheProviderPlugins();
        driveTheGeminiSeedRoutes();
        driveBadInput();
        driveEveryAdminReadAndChange();
        driveTheCli();
        observeFiles("framework cache", rotor.runtime().frameworkStorage());
        rotor.stop();
        observeFiles("data folder", dir.resolve("data"));
        String store = Files.readString(rotor.storeFile());
        assertTrue(store.matches("(?s).*\"apiKey\"\\s*:\\s*\"[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+\".*"),
                "secrets are stored as ciphertext");
        synchronized (logRecords) {
            assertTrue(logRecords.size() > 50, "the debug log was captured: " + logRecords.size() + " records");
            logRecords.forEach(record -> observed.add(new String[] {"log", record}));
        }
        observed.add(new String[] {"stdout/stderr", console.toString(StandardCharsets.UTF_8)});
        assertTrue(console.toString(StandardCharsets.UTF_8).contains("DEBUG"), "Felix and SCR printed at debug level");

        List<String> leaks = new ArrayList<>();
        for (Map.Entry<String, String> canary : canaries().entrySet()) {
            for (String form : forms(canary.getValue())) {
                for (String[] seen : observed) {
                    int at = seen[1].indexOf(form);
                    if (at >= 0) {
                        leaks.add(canary.getKey() + " (as '" + form + "') in " + seen[0] + ": …"
                                + seen[1].substring(Math.max(0, at - 120), Math.min(seen[1].length(), at + 60)) + "…");
                    }
                }
            }
        }
        assertEquals(List.of(), leaks);
    }

    private Map<String, String> canaries() {
        Map<String, String> canaries = new LinkedHashMap<>();
        canaries.put("OpenAI API key", OPENAI_KEY);
        canaries.put("K2 Think password", K2_PASSWORD);
        canaries.put("K2 Think wrong password", K2_WRONG_PASSWORD);
        canaries.put("Gemini refresh token", REFRESH_TOKEN);
        canaries.put("revoked Gemini refresh token", REVOKED_REFRESH_TOKEN);
        canaries.put("seed Gemini refresh token", SEED_REFRESH_TOKEN);
        canaries.put("credential client secret", CLIENT_SECRET);
        canaries.put("configured client secret", CONFIG_CLIENT_SECRET);
        canaries.put("user key", userKey);
        canaries.put("other user's key", otherUserKey);
        canaries.put("seed user key", SEED_USER_KEY);
        canaries.put("master key", MASTER_KEY);
        canaries.put("encryption key", ENCRYPTION_KEY);
        // Tokens Rotor obtains itself: the fakes issue them with these prefixes.
        canaries.put("K2 Think session token", "k2-session-");
        canaries.put("Google access token", "ya29.");
        return canaries;
    }

    /** The secret, its middle (a partial echo), and the encodings a leak usually takes. */
    private static Set<String> forms(String secret) {
        Set<String> forms = new LinkedHashSet<>();
        forms.add(secret);
        if (secret.length() > 16) {
            forms.add(secret.substring(secret.length() / 2 - 6, secret.length() / 2 + 6));
        }
        byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
        forms.add(Base64.getEncoder().withoutPadding().encodeToString(bytes));
        forms.add(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
        forms.add(URLEncoder.encode(secret, StandardCharsets.UTF_8));
        return forms;
    }

    // ---------------------------------------------------------------- the paths

    private void addAccountsAndUsers() {
        openAiAccount = created(admin("POST", "/admin/accounts", "{\"upstream\":\"fake\",\"apiKey\":\"" + OPENAI_KEY
                + "\",\"name\":\"canary-openai\"}"));
        created(admin("POST", "/admin/accounts", "{\"upstream\":\"dead\",\"apiKey\":\"" + OPENAI_KEY + "\"}"));
        created(admin("POST", "/admin/accounts", "{\"upstream\":\"k2think\",\"email\":\"wrong@example.com\","
                + "\"password\":\"" + K2_WRONG_PASSWORD + "\"}"));
        created(admin("POST", "/admin/accounts", "{\"upstream\":\"k2think\",\"email\":\"canary@example.com\","
                + "\"password\":\"" + K2_PASSWORD + "\"}"));
        created(admin("POST", "/admin/accounts", "{\"upstream\":\"gemini-code-assist\",\"credential\":"
                + credential(REVOKED_REFRESH_TOKEN) + "}"));
        created(admin("POST", "/admin/accounts", "{\"upstream\":\"gemini-code-assist\",\"credential\":"
                + credential(REFRESH_TOKEN) + "}"));
        created(admin("POST", "/admin/accounts", "{\"data\":[{\"upstream\":\"fake\",\"apiKey\":\"" + OPENAI_KEY
                + "\",\"pool\":\"team-b\"}]}"));
        // The one response that shows a user key, by design: not observed.
        HttpResponse<String> alice = rotor.call("POST", "/admin/users", MASTER_KEY, "{\"name\":\"alice\"}");
        userKey = RotorHarness.json(alice.body()).get("apiKey").asText();
        HttpResponse<String> bob = rotor.call("POST", "/admin/users", MASTER_KEY, "{\"name\":\"bob\",\"pool\":\"team-b\"}");
        otherUserKey = RotorHarness.json(bob.body()).get("apiKey").asText();
        assertTrue(userKey.startsWith("rk-") && otherUserKey.startsWith("rk-"));
    }

    private static String credential(String refreshToken) {
        return "{\"access_token\":\"ya29.expired\",\"refresh_token\":\"" + refreshToken + "\",\"client_id\":"
                + "\"canary-client.apps.googleusercontent.com\",\"client_secret\":\"" + CLIENT_SECRET + "\","
                + "\"token_type\":\"Bearer\",\"expiry_date\":1,\"type\":\"authorized_user\"}";
    }

    private void driveEveryUpstreamFault() {
        Map<Fault, Integer> expected = new LinkedHashMap<>();
        expected.put(Fault.OK, 200);
        expected.put(Fault.STREAM, 200);
        expected.put(Fault.RATE_LIMITED, 429);
        expected.put(Fault.UNAUTHORIZED, 502);
        expected.put(Fault.SERVER_ERROR, 502);
        expected.put(Fault.BAD_GATEWAY, 502);
        expected.put(Fault.UNAVAILABLE, 502);
        expected.put(Fault.RESET, 502);
        expected.put(Fault.SILENT, 504);
        expected.put(Fault.SILENT_MID_STREAM, 200);
        expected.put(Fault.CUT_STREAM, 200);
        expected.put(Fault.BAD_REQUEST, 400);
        expected.put(Fault.TOO_LARGE, 413);
        for (Map.Entry<Fault, Integer> fault : expected.entrySet()) {
            openAi.fault(OPENAI_KEY, fault.getKey());
            boolean stream = fault.getKey().name().contains("STREAM");
            HttpResponse<String> response = observe("proxy " + fault.getKey(), rotor.chat(userKey, "fake-model", stream));
            assertEquals(fault.getValue(), response.statusCode(), fault.getKey() + ": " + response.body());
            if (fault.getKey() == Fault.SILENT_MID_STREAM || fault.getKey() == Fault.CUT_STREAM) {
                assertTrue(response.body().contains("\"upstream_error\"") && !response.body().contains("[DONE]"),
                        response.body());
            }
            // Undo what the fault did to the account: a cooldown, or the invalid status.
            observe("reset", admin("POST", "/admin/rate-limits/reset", null));
            observe("reactivate", admin("PATCH", "/admin/accounts/" + openAiAccount, "{\"status\":\"active\"}"));
        }
        openAi.fault(OPENAI_KEY, Fault.OK);
        observe("embeddings", rotor.post("/v1/embeddings", userKey, "{\"model\":\"fake-embed\",\"input\":\"x\"}"));
        observe("models", rotor.get("/v1/models", userKey));
        observe("master on proxy", rotor.chat(MASTER_KEY, "fake-model", false));
        observe("team-b", rotor.chat(otherUserKey, "fake-model", true));
        HttpResponse<String> refused = observe("refused connection", rotor.chat(userKey, "dead-model", false));
        assertEquals(502, refused.statusCode(), refused.body());
    }

    private void driveTheProviderPlugins() {
        // The wrong password is tried first in round-robin order, refused, and the request moves on.
        for (boolean stream : new boolean[] {false, true, false}) {
            HttpResponse<String> response = observe("k2think", rotor.chat(userKey, K2_MODEL, stream));
            assertEquals(200, response.statusCode(), response.body());
        }
        // The revoked credential fails its refresh (invalid_grant); the good one serves twice, then 429s.
        for (boolean stream : new boolean[] {false, true, false, true}) {
            observe("gemini", rotor.chat(userKey, GEMINI_MODEL, stream));
        }
        assertEquals(2, google.served("proj-canary"));
    }

    private void driveTheGeminiSeedRoutes() {
        HttpResponse<String> update = observe("config update", admin("POST", "/v1/config/update",
                "{\"apiKey\":\"" + SEED_USER_KEY + "\",\"gcpServiceAccount\":" + FakeGoogle.oauthCreds(SEED_REFRESH_TOKEN)
                        + "}"));
        assertEquals(201, update.statusCode(), update.body());
        observe("config update again", admin("POST", "/v1/config/update", "{\"apiKey\":\"" + SEED_USER_KEY
                + "\",\"gcpServiceAccount\":" + FakeGoogle.oauthCreds(SEED_REFRESH_TOKEN) + "}"));
        observe("config update, generic", admin("POST", "/v1/config/update", "{\"apiKey\":\"" + SEED_USER_KEY
                + "\",\"account\":{\"upstream\":\"fake\",\"apiKey\":\"" + OPENAI_KEY + "\"}}"));
        observe("rotate", admin("POST", "/v1/config/rotate", "{\"apiKey\":\"" + SEED_USER_KEY + "\"}"));
        observe("rotate, unknown", admin("POST", "/v1/config/rotate", "{\"apiKey\":\"" + SEED_USER_KEY + "x\"}"));
        HttpResponse<String> served = observe("seed user", rotor.chat(SEED_USER_KEY, GEMINI_MODEL, false));
        assertEquals(200, served.statusCode(), served.body());
        // The seed's credential names no OAuth client: the configured secret, kept out of Configuration Admin, is used.
        assertEquals(CONFIG_CLIENT_SECRET, google.lastClientSecret());
        observe("seed user on admin", rotor.call("GET", "/debug/stats", SEED_USER_KEY, null));
    }

    private void driveBadInput() {
        String unquoted = "{\"model\":\"fake-model\",\"api_key\":" + OPENAI_KEY + "}";
        assertEquals(400, observe("proxy, unquoted secret", rotor.post("/v1/chat/completions", userKey, unquoted))
                .statusCode());
        observe("proxy, cut JSON", rotor.post("/v1/chat/completions", userKey, "{\"model\":\"" + OPENAI_KEY));
        observe("proxy, too large", rotor.post("/v1/chat/completions", userKey,
                "{\"model\":\"fake-model\",\"x\":\"" + (OPENAI_KEY + " ").repeat(5_000) + "\"}"));
        for (String body : List.of(
                "{\"upstream\":\"fake\",\"apiKey\":" + OPENAI_KEY + "}",
                "{\"upstream\":\"fake\",\"apiKey\":\"" + OPENAI_KEY + "\",\"bogus\":true}",
                "{\"upstream\":\"fake\",\"apiKey\":\"" + OPENAI_KEY + "\",\"weight\":-1}",
                "{\"upstream\":\"fake\",\"apiKey\":[\"" + OPENAI_KEY + "\"]}",
                "{\"upstream\":\"nowhere\",\"apiKey\":\"" + OPENAI_KEY + "\"}",
                "{\"upstream\":\"k2think\",\"email\":\"x@example.com\",\"password\":" + K2_PASSWORD + "}",
                "{\"upstream\":\"gemini-code-assist\",\"credential\":{\"refresh_token\":" + REFRESH_TOKEN + "}}",
                "{\"upstream\":\"gemini-code-assist\",\"credential\":\"" + REFRESH_TOKEN + "\"}",
                "{\"upstream\":\"fake\",\"apiKey\":\"" + OPENAI_KEY + "\u0001\"}")) {
            HttpResponse<String> refused = observe("admin bad input", admin("POST", "/admin/accounts", body));
            assertTrue(refused.statusCode() >= 400, refused.statusCode() + " " + refused.body());
        }
        observe("config update, bad", admin("POST", "/v1/config/update", "{\"apiKey\":" + SEED_USER_KEY + "}"));
        observe("config update, bad credential", admin("POST", "/v1/config/update", "{\"apiKey\":\"" + SEED_USER_KEY
                + "\",\"gcpServiceAccount\":\"" + REFRESH_TOKEN + "\"}"));
        // Keys presented wrongly on every kind of route: never echoed.
        for (String path : List.of("/v1/chat/completions", "/admin/accounts", "/debug/stats")) {
            String method = path.startsWith("/v1") ? "POST" : "GET";
            for (String authorization : List.of("Bearer " + MASTER_KEY + "x", "Bearer  " + MASTER_KEY,
                    "Basic " + Base64.getEncoder().encodeToString(("admin:" + MASTER_KEY).getBytes(StandardCharsets.UTF_8)),
                    "Bearer " + userKey + "x", MASTER_KEY, "Bearer " + OPENAI_KEY, "Bearer " + userKey)) {
                HttpRequest request = HttpRequest.newBuilder(URI.create(rotor.baseUrl() + path))
                        .header("Authorization", authorization)
                        .method(method, HttpRequest.BodyPublishers.ofString("{\"model\":\"fake-model\"}")).build();
                observe("authorization on " + path, rotor.send(request, HttpResponse.BodyHandlers.ofString()));
            }
        }
    }

    private void driveEveryAdminReadAndChange() {
        HttpResponse<String> list = observe("list", admin("GET", "/admin/accounts", null));
        observe("list, revealed", admin("GET", "/admin/accounts?reveal=email", null));
        List<String> ids = new ArrayList<>();
        RotorHarness.json(list.body()).get("data").forEach(account -> ids.add(account.get("id").asText()));
        for (String id : ids) {
            observe("get", admin("GET", "/admin/accounts/" + id + "?reveal=email", null));
            observe("validate", admin("POST", "/admin/accounts/" + id + "/validate", null));
            observe("patch", admin("PATCH", "/admin/accounts/" + id, "{\"name\":\"renamed\",\"tags\":[\"t\"]}"));
        }
        observe("users", admin("GET", "/admin/users", null));
        observe("pools", admin("GET", "/admin/pools", null));
        observe("pool change", admin("PATCH", "/admin/pools/default", "{\"maxRetries\":2}"));
        observe("stats", admin("GET", "/admin/stats", null));
        observe("export", admin("GET", "/admin/export", null));
        observe("debug stats", admin("GET", "/debug/stats", null));
        observe("metrics", rotor.get("/metrics", null));
        observe("health", rotor.get("/health", null));
        observe("remove account", admin("DELETE", "/admin/accounts/" + ids.get(1), null));
        String bob = RotorHarness.json(admin("GET", "/admin/users", null).body()).get("data").get(1).get("id").asText();
        observe("remove user", admin("DELETE", "/admin/users/" + bob, null));
        assertEquals(401, observe("removed key", rotor.chat(otherUserKey, "fake-model", false)).statusCode());
    }

    private void driveTheCli() {
        for (String[] command : new String[][] {{"accounts", "list", "--json"}, {"accounts", "list", "--stats"},
                {"accounts", "stats"}, {"accounts", "stats", "--json"}, {"accounts", "test", openAiAccount},
                {"users", "list", "--json"}, {"pools", "list"}}) {
            Cli.Result result = Cli.run(rotor.configFile, "", command);
            observed.add(new String[] {"cli " + String.join(" ", command), result.printed()});
            assertEquals(0, result.exitCode(), result.toString());
        }
        openAi.fault(OPENAI_KEY, Fault.UNAUTHORIZED);
        Cli.Result refused = Cli.run(rotor.configFile, "", "accounts", "test", openAiAccount);
        observed.add(new String[] {"cli accounts test (refused)", refused.printed()});
        assertFalse(refused.exitCode() == 0, refused.toString());
    }

    // ---------------------------------------------------------------- observing

    private HttpResponse<String> admin(String method, String path, String body) {
        return rotor.call(method, path, MASTER_KEY, body);
    }

    private String created(HttpResponse<String> response) {
        observe("create account", response);
        assertEquals(201, response.statusCode(), response.body());
        var json = RotorHarness.json(response.body());
        return json.has("data") ? json.get("data").get(0).get("id").asText() : json.get("id").asText();
    }

    private HttpResponse<String> observe(String what, HttpResponse<String> response) {
        observed.add(new String[] {"response to " + what, response.statusCode() + " " + response.headers().map() + "\n"
                + response.body()});
        return response;
    }

    private void observeFiles(String what, Path root) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(root)) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        for (Path file : files) {
            byte[] bytes = Files.readAllBytes(file);
            observed.add(new String[] {what + " " + root.relativize(file), new String(bytes, StandardCharsets.ISO_8859_1)});
        }
    }

    /** Writes to the real console and keeps a copy. */
    private static final class Tee extends OutputStream {
        private final OutputStream console;
        private final ByteArrayOutputStream copy;

        Tee(OutputStream console, ByteArrayOutputStream copy) {
            this.console = console;
            this.copy = copy;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            synchronized (copy) {
                copy.write(bytes, offset, length);
            }
            console.write(bytes, offset, length);
        }

        @Override
        public void flush() throws IOException {
            console.flush();
        }
    }
}
