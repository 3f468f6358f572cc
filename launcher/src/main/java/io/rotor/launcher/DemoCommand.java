package io.rotor.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rotor.api.Account;
import io.rotor.api.AccountStatus;
import io.rotor.api.Admin;
import io.rotor.api.CreatedUser;
import io.rotor.api.InboundServer;
import io.rotor.api.NewAccount;
import io.rotor.api.PoolUpdate;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Start the gateway with a built-in fake OpenAI-compatible upstream, three demo accounts with"
                + " small limits and a demo user; print the user's key and a ready curl line, show rotation and a"
                + " cooldown, then keep serving until Ctrl-C.",
                "Needs no credentials and no network beyond loopback. It runs on a temporary store and never reads"
                        + " rotor.properties or touches your data."})
final class DemoCommand implements Callable<Integer> {

    static final String CURL_PREFIX = "curl -si ";
    private static final int PER_ACCOUNT = 3;
    private static final Duration WINDOW = Duration.ofMinutes(1);
    private static final Duration COOLDOWN = Duration.ofSeconds(4);
    /** Enough for the show to reach the point where no account is left, and not loop forever if it never does. */
    private static final int MAX_SHOW_REQUESTS = 12;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8787",
            description = "Port to listen on (default: ${DEFAULT-VALUE}; a free one if it is busy).")
    int port;
    @Spec
    CommandSpec spec;

    private final CountDownLatch stop = new CountDownLatch(1);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private PrintWriter out;

    /** Ends a running demo as Ctrl-C does. */
    void stop() {
        stop.countDown();
    }

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        Path data = Files.createTempDirectory("rotor-demo-");
        CountDownLatch closed = new CountDownLatch(1);
        Thread onCtrlC = new Thread(() -> {
            stop.countDown();
            try {
                closed.await(20, TimeUnit.SECONDS); // let the demo stop and delete its folder before the JVM exits
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "rotor-demo-shutdown");
        Runtime.getRuntime().addShutdownHook(onCtrlC);
        String masterKey = "demo-master-" + randomHex(16);
        try (DemoUpstream upstream = new DemoUpstream(upstreamKeys(), Clock.systemUTC());
                RotorRuntime runtime = RotorRuntime.start(config(data, upstream, masterKey), RotorRuntime.Mode.SERVE)) {
            Admin admin = runtime.await(Admin.class);
            String baseUrl = "http://127.0.0.1:" + runtime.await(InboundServer.class).address().getPort();
            CreatedUser user = setUp(admin);
            introduce(baseUrl, upstream, data, user.apiKey(), masterKey);
            show(admin, baseUrl, user.apiKey());
            out.println();
            out.println("Rotor is serving on " + baseUrl + " until Ctrl-C; try the curl line above.");
            stop.await();
        } finally {
            deleteQuietly(data);
            closed.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(onCtrlC);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down (Ctrl-C): the hook is running
            }
        }
        return 0;
    }

    /** Each demo account has its own fake key; the upstream is stingy with the third. */
    private static Map<String, DemoUpstream.Limit> upstreamKeys() {
        return Map.of("demo-key-1", new DemoUpstream.Limit(10, Duration.ofSeconds(30)),
                "demo-key-2", new DemoUpstream.Limit(10, Duration.ofSeconds(30)),
                "demo-key-3", new DemoUpstream.Limit(1, Duration.ofSeconds(30)));
    }

    private RotorConfig config(Path data, DemoUpstream upstream, String masterKey) throws IOException {
        int chosen = freeOr(port);
        if (chosen != port) {
            out.println("Port " + port + " is busy; using a free port instead.");
        }
        // A config file in the temporary folder, so every relative path (store, key file, plugins) lands there.
        Path file = data.resolve("rotor.properties");
        Files.writeString(file, String.join("\n",
                "server.host = 127.0.0.1",
                "server.port = " + chosen,
                "store = json",
                "store.json.path = data/accounts.json",
                "security.encryptionKeyFile = data/.encryption_key",
                "plugins.dir = plugins",
                "accounts.autoValidateOnAdd = false",
                "upstream.demo.type = openai",
                "upstream.demo.baseUrl = " + upstream.baseUrl(),
                "upstream.demo.models = " + DemoUpstream.CHAT_MODEL + "," + DemoUpstream.EMBEDDING_MODEL, ""));
        // Fresh secrets, in memory only: nothing from the environment (ROTOR_MASTER_KEY, …) is used.
        return RotorConfig.load(file, Map.of("security.encryptionKey", randomHex(32), "security.masterKey", masterKey));
    }

    private CreatedUser setUp(Admin admin) {
        admin.updatePool(Account.DEFAULT_POOL, new PoolUpdate("round-robin", PER_ACCOUNT, WINDOW.toMillis(),
                COOLDOWN.toMillis(), 2));
        for (int i = 1; i <= 3; i++) {
            admin.addAccount(new NewAccount("demo", Account.DEFAULT_POOL, "demo-" + i, null,
                    Map.of(Account.SECRET_API_KEY, "demo-key-" + i), null, null, List.of("demo"), null, false));
        }
        return admin.addUser("demo", Account.DEFAULT_POOL);
    }

    private void introduce(String baseUrl, DemoUpstream upstream, Path data, String userKey, String masterKey) {
        out.println("Rotor demo: the gateway on " + baseUrl + ", a fake OpenAI-compatible upstream on "
                + upstream.baseUrl() + ".");
        out.println("Store: " + data + " (temporary, deleted on exit).");
        out.println("Accounts demo-1, demo-2, demo-3 in pool default: round-robin, " + PER_ACCOUNT
                + " requests per account per " + WINDOW.toSeconds() + " s window, then a " + COOLDOWN.toSeconds()
                + " s cooldown. The upstream itself allows demo-3 one request per 30 s.");
        out.println();
        out.println("Demo user's API key: " + userKey);
        out.println("Try it (add \"stream\":true to the body for server-sent events):");
        out.println("  " + CURL_PREFIX + baseUrl + "/v1/chat/completions -H 'Authorization: Bearer " + userKey + "'"
                + " -H 'Content-Type: application/json' -d '" + chatBody() + "'");
        out.println("The admin API takes this demo's master key: curl -s " + baseUrl + "/admin/accounts -H"
                + " 'Authorization: Bearer " + masterKey + "'");
        out.println();
    }

    /** Sends requests until no account is left, then waits out the Retry-After and sends one more. */
    private void show(Admin admin, String baseUrl, String userKey) throws IOException, InterruptedException {
        Map<String, String> names = admin.accounts().stream().collect(Collectors.toMap(Account::id, Account::displayName));
        out.println("Rotation and cooldowns:");
        int n = 0;
        HttpResponse<String> last;
        do {
            last = request(++n, admin, baseUrl, userKey, names);
        } while (last.statusCode() == 200 && n < MAX_SHOW_REQUESTS && stop.getCount() > 0);
        if (last.statusCode() != 429) {
            return;
        }
        long wait = last.headers().firstValueAsLong("Retry-After").orElse(COOLDOWN.toSeconds());
        out.println("Waiting " + wait + " s, as Retry-After says…");
        if (stop.await(wait, TimeUnit.SECONDS)) {
            return;
        }
        request(++n, admin, baseUrl, userKey, names);
    }

    private HttpResponse<String> request(int n, Admin admin, String baseUrl, String userKey, Map<String, String> names)
            throws IOException, InterruptedException {
        Map<String, Account> before = byId(admin.accounts());
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/v1/chat/completions"))
                .header("Authorization", "Bearer " + userKey).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(chatBody())).build(),
                HttpResponse.BodyHandlers.ofString());
        String label = String.format("  request %-2d  HTTP %d  ", n, response.statusCode());
        if (response.statusCode() == 200) {
            String id = response.headers().firstValue("X-Rotor-Account").orElse("?");
            out.println(label + "served by " + names.getOrDefault(id, id));
        } else {
            JsonNode error = JSON.readTree(response.body()).path("error");
            out.println(label + error.path("code").asText() + ", Retry-After: "
                    + response.headers().firstValue("Retry-After").orElse("-") + " s (" + error.path("message").asText()
                    + ")");
        }
        Instant now = Instant.now();
        for (Account account : admin.accounts()) {
            Account earlier = before.get(account.id());
            Instant until = account.rateLimit().blockedUntil();
            boolean newCooldown = account.status() == AccountStatus.RATE_LIMITED && until != null
                    && (earlier == null || !Objects.equals(until, earlier.rateLimit().blockedUntil()));
            if (newCooldown) {
                long seconds = Math.max(1, (Duration.between(now, until).toMillis() + 999) / 1000);
                out.println("              " + account.displayName() + " cools down for " + seconds + " s: "
                        + account.statusReason());
            }
        }
        return response;
    }

    private static Map<String, Account> byId(List<Account> accounts) {
        return accounts.stream().collect(Collectors.toMap(Account::id, Function.identity()));
    }

    private static String chatBody() {
        return "{\"model\":\"" + DemoUpstream.CHAT_MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
    }

    /** Returns {@code wanted} if it can be bound on loopback now, else 0 (the server then picks a free port). */
    private static int freeOr(int wanted) {
        if (wanted == 0) {
            return 0;
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress("127.0.0.1", wanted));
            return wanted;
        } catch (IOException e) {
            return 0;
        }
    }

    private static String randomHex(int bytes) {
        byte[] random = new byte[bytes];
        new SecureRandom().nextBytes(random);
        return HexFormat.of().formatHex(random);
    }

    static void deleteQuietly(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a leftover temp folder is harmless
        }
    }
}
