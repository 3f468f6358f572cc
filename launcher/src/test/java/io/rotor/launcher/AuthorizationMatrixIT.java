package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every route × every kind of credential, through Felix with the real bundles: the open routes answer
 * anyone; the proxy serves user keys and the master key; the admin routes serve only the master key
 * (a user key is {@code 403 forbidden}, anything else {@code 401 invalid_api_key}); a refused call
 * changes nothing in the store and echoes no key.
 */
class AuthorizationMatrixIT {

    private static final String MASTER = RotorHarness.MASTER_KEY;

    /** How a caller presents itself; {@code header} null sends no Authorization header. */
    private record Credential(String name, String header, Kind kind) {
    }

    private enum Kind { REFUSED, USER, MASTER }

    private record Route(String method, String path, String body) {
    }

    @TempDir
    Path dir;
    private FakeOpenAi upstream;
    private RotorHarness rotor;

    @BeforeEach
    void start() throws Exception {
        upstream = new FakeOpenAi();
        upstream.key("sk-default", FakeOpenAi.KeyRule.unlimited());
        upstream.key("sk-team", FakeOpenAi.KeyRule.unlimited());
        rotor = new RotorHarness(dir, Map.of(
                "upstream.fake.type", "openai",
                "upstream.fake.baseUrl", upstream.baseUrl(),
                "upstream.fake.models", "*",
                "rateLimit.perAccount", "0")).start();
    }

    @AfterEach
    void stop() {
        rotor.close();
        upstream.close();
    }

    private String createdId(String path, String body) {
        HttpResponse<String> created = rotor.call("POST", path, MASTER, body);
        assertEquals(201, created.statusCode(), created.body());
        return RotorHarness.json(created.body()).get("id").asText();
    }

    @Test
    void everyRouteAnswersEveryKindOfCredentialAsTheContractSays() throws Exception {
        String account = createdId("/admin/accounts", "{\"upstream\":\"fake\",\"apiKey\":\"sk-default\"}");
        String teamAccount = createdId("/admin/accounts", "{\"upstream\":\"fake\",\"apiKey\":\"sk-team\","
                + "\"pool\":\"team\"}");
        String userKey = rotor.addUser("ursula");
        String otherUserKey = RotorHarness.json(rotor.call("POST", "/admin/users", MASTER,
                "{\"name\":\"olga\",\"pool\":\"team\"}").body()).get("apiKey").asText();
        List<Credential> credentials = List.of(
                new Credential("no header", null, Kind.REFUSED),
                new Credential("'Bearer' alone", "Bearer", Kind.REFUSED),
                new Credential("'Bearer ' and nothing", "Bearer ", Kind.REFUSED),
                new Credential("Basic", "Basic xyz", Kind.REFUSED),
                new Credential("the master key as Basic", "Basic " + MASTER, Kind.REFUSED),
                new Credential("the master key without a scheme", MASTER, Kind.REFUSED),
                new Credential("the master key and more", "Bearer " + MASTER + " " + MASTER, Kind.REFUSED),
                new Credential("unknown key", "Bearer rk-unknown", Kind.REFUSED),
                new Credential("an upstream key", "Bearer sk-default", Kind.REFUSED),
                new Credential("user key", "Bearer " + userKey, Kind.USER),
                new Credential("another pool's user key", "Bearer " + otherUserKey, Kind.USER),
                // RFC 6750: "Bearer" 1*SP b64token; more spaces are still one key.
                new Credential("user key after two spaces", "Bearer  " + userKey, Kind.USER),
                new Credential("master key", "Bearer " + MASTER, Kind.MASTER),
                new Credential("master key, lower-case scheme", "bearer " + MASTER, Kind.MASTER));

        List<String> failures = new ArrayList<>();
        // Refused admin calls first, before any proxied request gives the engine statistics to flush.
        Map<Route, Integer> admin = adminRoutes(account, userKey);
        byte[] storeBefore = Files.readAllBytes(rotor.storeFile());
        for (Route route : admin.keySet()) {
            for (Credential credential : credentials) {
                if (credential.kind() != Kind.MASTER) {
                    expect(failures, route, credential, call(route, credential),
                            credential.kind() == Kind.USER ? 403 : 401,
                            credential.kind() == Kind.USER ? "forbidden" : "invalid_api_key");
                }
            }
        }
        assertArrayEquals(storeBefore, Files.readAllBytes(rotor.storeFile()), "no refused call changed the store");
        for (Route route : List.of(new Route("GET", "/health", null), new Route("GET", "/metrics", null))) {
            for (Credential credential : credentials) {
                expect(failures, route, credential, call(route, credential), 200, null);
            }
        }
        List<Route> proxy = List.of(
                new Route("POST", "/v1/chat/completions", "{\"model\":\"m\",\"messages\":[]}"),
                new Route("POST", "/v1/completions", "{\"model\":\"m\",\"prompt\":\"p\"}"),
                new Route("POST", "/v1/embeddings", "{\"model\":\"m\",\"input\":\"x\"}"),
                new Route("GET", "/v1/models", null));
        for (Route route : proxy) {
            for (Credential credential : credentials) {
                HttpResponse<String> response = call(route, credential);
                if (credential.kind() == Kind.REFUSED) {
                    expect(failures, route, credential, response, 401, "invalid_api_key");
                } else {
                    expect(failures, route, credential, response, 200, null);
                    String servedBy = response.headers().firstValue("X-Rotor-Account").orElse("");
                    String pool = credential.header().contains(otherUserKey) ? teamAccount : account;
                    if (!servedBy.equals(pool)) {
                        failures.add(route + " with " + credential.name() + " was served by " + servedBy);
                    }
                }
            }
        }
        Credential master = credentials.get(credentials.size() - 2);
        admin.forEach((route, status) -> expect(failures, route, master, call(route, master), status, null));

        // No oracle for ids: a user key is refused alike for another pool's account and for no account.
        HttpResponse<String> theirs = rotor.call("GET", "/admin/accounts/" + teamAccount, userKey, null);
        HttpResponse<String> none = rotor.call("GET", "/admin/accounts/acc_does_not_exist", userKey, null);
        assertEquals(403, theirs.statusCode());
        assertEquals(RotorHarness.json(theirs.body()).get("error").get("message"),
                RotorHarness.json(none.body()).get("error").get("message"));
        HttpResponse<String> unknown = rotor.call("GET", "/admin/accounts/acc_does_not_exist", MASTER, null);
        expect(failures, new Route("GET", "/admin/accounts/acc_does_not_exist", null), master, unknown, 404, "not_found");
        assertEquals(List.of(), failures);
    }

    /** Every admin route with a body that the master key gets served, and the status it gets. */
    private Map<Route, Integer> adminRoutes(String account, String userKey) {
        String doomedAccount = createdId("/admin/accounts", "{\"upstream\":\"fake\",\"apiKey\":\"sk-doomed\"}");
        String doomedUser = createdId("/admin/users", "{\"name\":\"doomed\"}");
        Map<Route, Integer> routes = new LinkedHashMap<>();
        routes.put(new Route("GET", "/admin/accounts", null), 200);
        routes.put(new Route("POST", "/admin/accounts", "{\"upstream\":\"fake\",\"apiKey\":\"sk-new\"}"), 201);
        routes.put(new Route("GET", "/admin/accounts/" + account, null), 200);
        routes.put(new Route("PATCH", "/admin/accounts/" + account, "{\"name\":\"renamed\"}"), 200);
        routes.put(new Route("POST", "/admin/accounts/" + account + "/validate", null), 200);
        routes.put(new Route("DELETE", "/admin/accounts/" + doomedAccount, null), 200);
        routes.put(new Route("GET", "/admin/users", null), 200);
        routes.put(new Route("POST", "/admin/users", "{\"name\":\"newcomer\"}"), 201);
        routes.put(new Route("DELETE", "/admin/users/" + doomedUser, null), 200);
        routes.put(new Route("GET", "/admin/pools", null), 200);
        routes.put(new Route("PATCH", "/admin/pools/default", "{\"maxRetries\":2}"), 200);
        routes.put(new Route("GET", "/admin/stats", null), 200);
        routes.put(new Route("POST", "/admin/rate-limits/reset", null), 200);
        routes.put(new Route("GET", "/admin/export", null), 200);
        routes.put(new Route("GET", "/debug/stats", null), 200);
        routes.put(new Route("POST", "/v1/config/update", "{\"apiKey\":\"seed-user-key\",\"account\":{\"upstream\":"
                + "\"fake\",\"apiKey\":\"sk-seed\"}}"), 201);
        routes.put(new Route("POST", "/v1/config/rotate", "{\"apiKey\":\"" + userKey + "\"}"), 200);
        return routes;
    }

    private HttpResponse<String> call(Route route, Credential credential) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(rotor.baseUrl() + route.path()))
                .method(route.method(), route.body() == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(route.body()));
        if (route.body() != null) {
            request.header("Content-Type", "application/json");
        }
        if (credential.header() != null) {
            request.header("Authorization", credential.header());
        }
        return rotor.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void expect(List<String> failures, Route route, Credential credential,
            HttpResponse<String> response, int status, String code) {
        boolean codeOk = code == null || code.equals(RotorHarness.json(response.body()).at("/error/code").asText());
        if (response.statusCode() != status || !codeOk) {
            failures.add(route.method() + " " + route.path() + " with " + credential.name() + " -> "
                    + response.statusCode() + " " + response.body());
        }
        String presented = credential.header() == null ? "" : credential.header().replaceFirst("^\\S+\\s+", "");
        if (status >= 400 && presented.length() > 8 && response.body().contains(presented)) {
            failures.add(route.method() + " " + route.path() + " echoed the key of " + credential.name());
        }
    }
}
