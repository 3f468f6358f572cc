package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin API over HTTP, against Felix with the real bundles and a fake OpenAI upstream. */
class AdminApiIT {

    private static final String MASTER = RotorHarness.MASTER_KEY;
    private static final String API_KEY_CANARY = "sk-canary-admin-5d1f0c";
    private static final String PASSWORD_CANARY = "pw-canary-9e8d7c";
    private static final String REFRESH_CANARY = "1//refresh-canary-4b3a";

    @TempDir
    Path dir;
    private FakeOpenAi upstream;
    private RotorHarness rotor;
    private String userKey;

    @BeforeEach
    void start() throws Exception {
        upstream = new FakeOpenAi();
        upstream.key(API_KEY_CANARY, FakeOpenAi.KeyRule.unlimited());
        rotor = new RotorHarness(dir, Map.of(
                "upstream.fake.type", "openai",
                "upstream.fake.baseUrl", upstream.baseUrl(),
                "upstream.fake.models", "*",
                "accounts.maxPerUser", "2")).start();
        userKey = rotor.addUser("ursula");
    }

    @AfterEach
    void stop() {
        rotor.close();
        upstream.close();
    }

    private HttpResponse<String> admin(String method, String path, String body) {
        return rotor.call(method, path, MASTER, body);
    }

    private static JsonNode json(HttpResponse<String> response) {
        return RotorHarness.json(response.body());
    }

    private String addFakeAccount(String name) {
        HttpResponse<String> created = admin("POST", "/admin/accounts",
                "{\"upstream\":\"fake\",\"apiKey\":\"" + API_KEY_CANARY + "\",\"name\":\"" + name + "\"}");
        assertEquals(201, created.statusCode(), created.body());
        return json(created).get("id").asText();
    }

    @Test
    void accountsCanBeCreatedListedReadChangedValidatedAndRemoved() {
        String id = addFakeAccount("main");
        HttpResponse<String> k2 = admin("POST", "/admin/accounts", "{\"upstream\":\"k2think\",\"email\":"
                + "\"someone@example.com\",\"password\":\"" + PASSWORD_CANARY + "\",\"tags\":[\"x\"],\"validate\":false}");
        assertEquals(201, k2.statusCode(), k2.body());
        assertEquals("som***@example.com", json(k2).get("email").asText());

        JsonNode list = json(admin("GET", "/admin/accounts", null)).get("data");
        assertEquals(2, list.size());
        assertEquals("som***@example.com", list.get(1).get("email").asText());
        assertEquals("someone@example.com",
                json(admin("GET", "/admin/accounts?reveal=email", null)).at("/data/1/email").asText());

        JsonNode one = json(admin("GET", "/admin/accounts/" + id, null));
        assertEquals("main", one.get("name").asText());
        assertEquals("fake", one.get("upstream").asText());
        for (String field : List.of("id", "upstream", "pool", "name", "status", "priority", "weight", "tags",
                "maxConcurrent", "createdAt", "lastUsed", "stats", "rateLimit")) {
            assertTrue(one.has(field), field);
        }

        JsonNode patched = json(admin("PATCH", "/admin/accounts/" + id,
                "{\"priority\":5,\"weight\":3,\"tags\":[\"a\",\"b\"],\"status\":\"inactive\",\"name\":\"renamed\"}"));
        assertEquals(5, patched.get("priority").asInt());
        assertEquals("inactive", patched.get("status").asText());
        assertEquals("b", patched.at("/tags/1").asText());

        JsonNode validated = json(admin("POST", "/admin/accounts/" + id + "/validate", null));
        assertTrue(validated.get("valid").asBoolean(), validated.toString());

        HttpResponse<String> deleted = admin("DELETE", "/admin/accounts/" + id, null);
        assertEquals(200, deleted.statusCode());
        assertTrue(json(deleted).get("deleted").asBoolean());
        assertEquals(404, admin("GET", "/admin/accounts/" + id, null).statusCode());
        assertEquals(404, admin("DELETE", "/admin/accounts/" + id, null).statusCode());
    }

    @Test
    void validatingARefusedCredentialMarksItInvalid() {
        HttpResponse<String> created = admin("POST", "/admin/accounts",
                "{\"upstream\":\"fake\",\"apiKey\":\"sk-revoked-later\",\"validate\":false}");
        String id = json(created).get("id").asText();
        JsonNode validated = json(admin("POST", "/admin/accounts/" + id + "/validate", null));
        assertFalse(validated.get("valid").asBoolean());
        assertEquals("invalid", validated.get("status").asText());
        assertEquals("invalid", json(admin("GET", "/admin/accounts/" + id, null)).get("status").asText());
    }

    @Test
    void aCredentialRefusedOnAddIsNotStored() {
        HttpResponse<String> refused = admin("POST", "/admin/accounts",
                "{\"upstream\":\"fake\",\"apiKey\":\"sk-nope\",\"validate\":true}");
        assertEquals(400, refused.statusCode());
        assertFalse(refused.body().contains("sk-nope"));
        assertEquals(0, json(admin("GET", "/admin/accounts", null)).get("data").size());
    }

    @Test
    void usersCanBeCreatedListedAndRemovedAndARemovedKeyStopsWorking() {
        addFakeAccount("shared");
        HttpResponse<String> created = admin("POST", "/admin/users", "{\"name\":\"victor\"}");
        assertEquals(201, created.statusCode(), created.body());
        String key = json(created).get("apiKey").asText();
        String id = json(created).get("id").asText();
        assertEquals(200, rotor.chat(key, "m", false).statusCode());
        JsonNode users = json(admin("GET", "/admin/users", null)).get("data");
        assertEquals(2, users.size());
        assertFalse(users.toString().contains(key), "keys are shown only once");
        assertFalse(users.toString().contains("keyHash"));
        assertEquals(200, admin("DELETE", "/admin/users/" + id, null).statusCode());
        assertEquals(401, rotor.chat(key, "m", false).statusCode());
        assertEquals(404, admin("DELETE", "/admin/users/" + id, null).statusCode());
    }

    @Test
    void manyAccountsAndUsersCanBeCreatedInOneRequestEach() {
        StringBuilder accounts = new StringBuilder("{\"data\":[");
        for (int i = 0; i < 50; i++) {
            accounts.append(i == 0 ? "" : ",").append("{\"upstream\":\"fake\",\"apiKey\":\"").append(API_KEY_CANARY)
                    .append("\",\"name\":\"bulk-").append(i).append("\",\"pool\":\"bulk\",\"weight\":").append(i % 3)
                    .append(",\"validate\":false}");
        }
        HttpResponse<String> created = admin("POST", "/admin/accounts", accounts.append("]}").toString());
        assertEquals(201, created.statusCode(), created.body());
        JsonNode data = json(created).get("data");
        assertEquals(50, data.size());
        assertEquals("bulk-49", data.get(49).get("name").asText());
        assertEquals(2, data.get(2).get("weight").asInt());
        assertFalse(created.body().contains(API_KEY_CANARY));
        assertEquals(50, json(admin("GET", "/admin/accounts?pool=bulk", null)).get("data").size());

        HttpResponse<String> users = admin("POST", "/admin/users",
                "{\"data\":[{\"name\":\"bulk-a\",\"pool\":\"bulk\"},{\"name\":\"bulk-b\",\"pool\":\"bulk\"}]}");
        assertEquals(201, users.statusCode(), users.body());
        JsonNode keys = json(users).get("data");
        assertEquals(2, keys.size());
        for (JsonNode user : keys) {
            HttpResponse<String> served = rotor.chat(user.get("apiKey").asText(), "m", false);
            assertEquals(200, served.statusCode(), served.body());
            assertTrue(data.toString().contains(served.headers().firstValue("X-Rotor-Account").orElseThrow()));
        }
    }

    @Test
    void aBulkRequestWithOneBadEntryAddsNothing() {
        HttpResponse<String> refused = admin("POST", "/admin/accounts", "{\"data\":[{\"upstream\":\"fake\",\"apiKey\":"
                + "\"sk-1\",\"validate\":false},{\"upstream\":\"nowhere\",\"apiKey\":\"sk-2\",\"validate\":false}]}");
        assertEquals(400, refused.statusCode(), refused.body());
        assertEquals(0, json(admin("GET", "/admin/accounts", null)).get("data").size());
        HttpResponse<String> badUser = admin("POST", "/admin/users", "{\"data\":[{\"name\":\"ok\"},{\"name\":\"\"}]}");
        assertEquals(400, badUser.statusCode(), badUser.body());
        assertEquals(1, json(admin("GET", "/admin/users", null)).get("data").size());
        assertEquals(400, admin("POST", "/admin/users", "{\"data\":[]}").statusCode());
        assertEquals(400, admin("POST", "/admin/accounts", "{\"data\":[{\"upstream\":\"fake\"}],\"name\":\"x\"}")
                .statusCode());
    }

    @Test
    void poolsShowTheirSettingsAndCanBeChanged() {
        addFakeAccount("p");
        JsonNode pools = json(admin("GET", "/admin/pools", null)).get("data");
        assertEquals("default", pools.get(0).get("name").asText());
        assertEquals("round-robin", pools.get(0).get("strategy").asText());
        assertEquals(1, pools.get(0).get("accounts").asInt());

        JsonNode patched = json(admin("PATCH", "/admin/pools/default",
                "{\"strategy\":\"no-such-script\",\"perAccount\":1,\"cooldownMs\":60000}"));
        assertEquals("no-such-script", patched.get("strategy").asText());
        assertEquals("round-robin", patched.get("activeStrategy").asText());
        assertTrue(patched.get("note").asText().contains("not installed"));
        assertEquals(200, rotor.chat(userKey, "m", false).statusCode(), "a missing strategy falls back");
        HttpResponse<String> limited = rotor.chat(userKey, "m", false);
        assertEquals(429, limited.statusCode(), "perAccount=1 applies at once");
        assertEquals("NO_AVAILABLE_ACCOUNTS", json(limited).at("/error/code").asText());

        assertEquals(200, admin("POST", "/admin/rate-limits/reset", null).statusCode());
        assertEquals(200, rotor.chat(userKey, "m", false).statusCode(), "the reset cleared the cooldown");
    }

    @Test
    void statsExportAndDebugStatsCountRequestsAndHoldNoSecret() {
        String id = addFakeAccount("counted");
        for (int i = 0; i < 3; i++) {
            assertEquals(200, rotor.chat(userKey, "m", false).statusCode());
        }
        JsonNode stats = json(admin("GET", "/admin/stats", null));
        assertEquals(3, stats.at("/totals/totalRequests").asInt());
        assertEquals(1.0, stats.at("/totals/successRate").asDouble());
        assertEquals(id, stats.at("/accounts/0/id").asText());

        JsonNode debug = json(admin("GET", "/debug/stats", null));
        assertEquals(3, debug.get("totalRequests").asInt());
        assertEquals(3, debug.at("/credentials/0/requests").asInt());

        admin("POST", "/admin/accounts", "{\"upstream\":\"k2think\",\"email\":\"e@example.com\",\"password\":\""
                + PASSWORD_CANARY + "\",\"validate\":false}");
        HttpResponse<String> export = admin("GET", "/admin/export", null);
        assertEquals(200, export.statusCode());
        for (String secret : List.of(API_KEY_CANARY, PASSWORD_CANARY, MASTER, userKey, "masterKeyHash", "keyHash",
                "e@example.com")) {
            assertFalse(export.body().contains(secret), "export leaks " + secret);
        }
        assertEquals(2, json(export).get("accounts").size());
        assertEquals(1, json(export).get("users").size());
    }

    @Test
    void configUpdateCreatesAUserWithItsOwnPoolAndEnforcesTheLimits() throws Exception {
        String theirKey = "their-own-key-123456";
        String credential = "{\"type\":\"authorized_user\",\"refresh_token\":\"" + REFRESH_CANARY + "\","
                + "\"access_token\":\"ya29.x\",\"expiry_date\":1}";
        HttpResponse<String> first = admin("POST", "/v1/config/update",
                "{\"apiKey\":\"" + theirKey + "\",\"gcpServiceAccount\":" + credential + "}");
        assertEquals(201, first.statusCode(), first.body());
        JsonNode created = json(first);
        assertTrue(created.get("userCreated").asBoolean());
        String pool = created.at("/user/pool").asText();
        assertNotEquals("default", pool);
        assertEquals("gemini-code-assist", created.at("/account/upstream").asText());
        assertFalse(first.body().contains(REFRESH_CANARY));

        HttpResponse<String> duplicate = admin("POST", "/v1/config/update",
                "{\"apiKey\":\"" + theirKey + "\",\"gcpServiceAccount\":" + credential + "}");
        assertEquals(400, duplicate.statusCode(), duplicate.body());
        assertTrue(json(duplicate).at("/error/message").asText().contains("already has this credential"));

        HttpResponse<String> generic = admin("POST", "/v1/config/update", "{\"apiKey\":\"" + theirKey
                + "\",\"account\":{\"upstream\":\"fake\",\"apiKey\":\"" + API_KEY_CANARY + "\"}}");
        assertEquals(200, generic.statusCode(), generic.body());
        assertFalse(json(generic).get("userCreated").asBoolean());
        assertEquals(pool, json(generic).at("/account/pool").asText());

        HttpResponse<String> overLimit = admin("POST", "/v1/config/update", "{\"apiKey\":\"" + theirKey
                + "\",\"account\":{\"upstream\":\"fake\",\"apiKey\":\"sk-third\",\"validate\":false}}");
        assertEquals(400, overLimit.statusCode());
        assertTrue(json(overLimit).at("/error/message").asText().contains("accounts.maxPerUser"));

        // Their key now works, and only on their own pool's accounts.
        HttpResponse<String> served = rotor.chat(theirKey, "m", false);
        assertEquals(200, served.statusCode(), served.body());
        String fakeAccount = json(generic).at("/account/id").asText();
        assertEquals(fakeAccount, served.headers().firstValue("X-Rotor-Account").orElseThrow());

        HttpResponse<String> rotated = admin("POST", "/v1/config/rotate", "{\"apiKey\":\"" + theirKey + "\"}");
        assertEquals(200, rotated.statusCode(), rotated.body());
        assertTrue(json(rotated).get("accountId").asText().startsWith("acc_"));
        assertEquals(404, admin("POST", "/v1/config/rotate", "{\"apiKey\":\"nobody-has-this-key\"}").statusCode());
        assertFalse(Files.readString(rotor.storeFile()).contains(REFRESH_CANARY));
        assertFalse(Files.readString(rotor.storeFile()).contains(theirKey));
    }

    @Test
    void rotateMovesAStickyPoolOnToTheAccountItNamesAndRequestsFollow() {
        String a = addFakeAccount("a");
        String b = addFakeAccount("b");
        assertEquals(200, admin("PATCH", "/admin/pools/default", "{\"strategy\":\"sticky\"}").statusCode());
        String current = rotor.chat(userKey, "m", false).headers().firstValue("X-Rotor-Account").orElseThrow();
        assertEquals(current, rotor.chat(userKey, "m", false).headers().firstValue("X-Rotor-Account").orElseThrow(),
                "sticky keeps its account");
        HttpResponse<String> rotated = admin("POST", "/v1/config/rotate", "{\"apiKey\":\"" + userKey + "\"}");
        assertEquals(200, rotated.statusCode(), rotated.body());
        String next = json(rotated).get("accountId").asText();
        assertEquals(current.equals(a) ? b : a, next);
        for (int i = 0; i < 3; i++) {
            assertEquals(next, rotor.chat(userKey, "m", false).headers().firstValue("X-Rotor-Account").orElseThrow());
        }
    }

    @Test
    void accountsPostedWithoutAValidateFieldAreCheckedUpstreamWhenAutoValidateOnAddIsOn() throws Exception {
        rotor.close();
        Path auto = Files.createDirectories(dir.resolve("auto"));
        rotor = new RotorHarness(auto, Map.of("upstream.fake.type", "openai", "upstream.fake.baseUrl",
                upstream.baseUrl(), "upstream.fake.models", "*", "accounts.autoValidateOnAdd", "true")).start();
        HttpResponse<String> refused = admin("POST", "/admin/accounts",
                "{\"upstream\":\"fake\",\"apiKey\":\"sk-the-upstream-does-not-know\"}");
        assertEquals(400, refused.statusCode(), refused.body());
        assertEquals("invalid_request", json(refused).at("/error/code").asText());
        assertFalse(refused.body().contains("sk-the-upstream-does-not-know"));
        assertEquals(0, json(admin("GET", "/admin/accounts", null)).get("data").size(), "nothing was added");
        assertEquals(201, addFakeStatus("{\"upstream\":\"fake\",\"apiKey\":\"" + API_KEY_CANARY + "\"}"));
        assertEquals(201, addFakeStatus("{\"upstream\":\"fake\",\"apiKey\":\"sk-unchecked\",\"validate\":false}"),
                "validate:false skips the check");
    }

    private int addFakeStatus(String body) {
        return admin("POST", "/admin/accounts", body).statusCode();
    }

    @Test
    void aUsersRequestsOnlyEverUseTheAccountsOfItsOwnPool() {
        String defaultAccount = addFakeAccount("default-pool");
        HttpResponse<String> other = admin("POST", "/admin/accounts", "{\"upstream\":\"fake\",\"apiKey\":\""
                + API_KEY_CANARY + "\",\"pool\":\"team-b\"}");
        String teamAccount = json(other).get("id").asText();
        String teamKey = json(admin("POST", "/admin/users", "{\"name\":\"b\",\"pool\":\"team-b\"}")).get("apiKey").asText();
        for (int i = 0; i < 4; i++) {
            assertEquals(teamAccount, rotor.chat(teamKey, "m", false).headers().firstValue("X-Rotor-Account").orElseThrow());
            assertEquals(defaultAccount, rotor.chat(userKey, "m", false).headers().firstValue("X-Rotor-Account")
                    .orElseThrow());
        }
    }

    /** Every admin route with no key, a malformed header, a user key and a wrong master key. */
    @Test
    void everyAdminRouteRefusesAnythingButTheMasterKey() {
        String id = addFakeAccount("guarded");
        List<String[]> routes = List.of(
                new String[] {"GET", "/admin/accounts"}, new String[] {"POST", "/admin/accounts"},
                new String[] {"GET", "/admin/accounts/" + id}, new String[] {"PATCH", "/admin/accounts/" + id},
                new String[] {"DELETE", "/admin/accounts/" + id}, new String[] {"POST", "/admin/accounts/" + id + "/validate"},
                new String[] {"GET", "/admin/users"}, new String[] {"POST", "/admin/users"},
                new String[] {"DELETE", "/admin/users/usr_x"}, new String[] {"GET", "/admin/pools"},
                new String[] {"PATCH", "/admin/pools/default"}, new String[] {"GET", "/admin/stats"},
                new String[] {"POST", "/admin/rate-limits/reset"}, new String[] {"GET", "/admin/export"},
                new String[] {"POST", "/v1/config/update"}, new String[] {"POST", "/v1/config/rotate"},
                new String[] {"GET", "/debug/stats"});
        byte[] before = read(rotor.storeFile());
        List<String> failures = new ArrayList<>();
        for (String[] route : routes) {
            String body = route[0].equals("GET") || route[0].equals("DELETE") ? null : "{\"name\":\"x\"}";
            expect(failures, route, rotor.call(route[0], route[1], null, body), 401, "invalid_api_key");
            expect(failures, route, rotor.call(route[0], route[1], "wrong-master-key", body), 401, "invalid_api_key");
            expect(failures, route, rotor.call(route[0], route[1], userKey, body), 403, "forbidden");
            HttpResponse<String> malformed = rotor.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(rotor.baseUrl() + route[1])).header("Authorization", "Basic " + MASTER)
                    .method(route[0], java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            expect(failures, route, malformed, 401, "invalid_api_key");
            if (malformed.body().contains(MASTER)) {
                failures.add(route[1] + " echoed the key");
            }
        }
        assertEquals(List.of(), failures);
        assertArrayEquals(before, read(rotor.storeFile()), "no refused call changed the store");
        assertEquals(200, admin("GET", "/admin/accounts/" + id, null).statusCode());
    }

    /** The proxy routes: a user key or the master key is served; anything else is 401. */
    @Test
    void proxyRoutesServeUserAndMasterKeysAndRefuseEveryOtherKey() {
        addFakeAccount("proxy");
        List<String[]> routes = List.of(
                new String[] {"POST", "/v1/chat/completions", "{\"model\":\"m\",\"messages\":[]}"},
                new String[] {"POST", "/v1/completions", "{\"model\":\"m\",\"prompt\":\"p\"}"},
                new String[] {"POST", "/v1/embeddings", "{\"model\":\"m\",\"input\":\"x\"}"},
                new String[] {"GET", "/v1/models", null});
        List<String> failures = new ArrayList<>();
        for (String[] route : routes) {
            expect(failures, route, rotor.call(route[0], route[1], null, route[2]), 401, "invalid_api_key");
            expect(failures, route, rotor.call(route[0], route[1], "rk-unknown", route[2]), 401, "invalid_api_key");
            for (String key : List.of(userKey, MASTER)) {
                HttpResponse<String> served = rotor.call(route[0], route[1], key, route[2]);
                if (served.statusCode() != 200 || served.headers().firstValue("X-Rotor-Account").isEmpty()) {
                    failures.add(route[1] + " with a valid key -> " + served.statusCode() + " " + served.body());
                }
            }
        }
        assertEquals(List.of(), failures);
    }

    private static void expect(List<String> failures, String[] route, HttpResponse<String> response, int status,
            String code) {
        if (response.statusCode() != status || !code.equals(json(response).at("/error/code").asText())) {
            failures.add(route[0] + " " + route[1] + " -> " + response.statusCode() + " " + response.body());
        }
    }

    /** Malformed JSON, wrong types, unknown and read-only fields, oversized values: 400, store unchanged. */
    @Test
    void badInputOnEveryWriteEndpointIsRefusedAndChangesNothing() {
        String id = addFakeAccount("target");
        String longText = "x".repeat(5_000);
        Map<String, List<String>> bodies = new java.util.LinkedHashMap<>();
        bodies.put("POST /admin/accounts", List.of("{", "[]", "{\"upstream\":5,\"apiKey\":\"k\"}",
                "{\"upstream\":\"fake\",\"apiKey\":\"k\",\"bogus\":1}", "{\"upstream\":\"fake\"}",
                "{\"upstream\":\"nope\",\"apiKey\":\"k\"}", "{\"upstream\":\"fake\",\"apiKey\":\"k\",\"name\":\"" + longText + "\"}",
                "{\"upstream\":\"fake\",\"apiKey\":\"k\",\"priority\":\"high\"}",
                "{\"upstream\":\"fake\",\"apiKey\":\"k\",\"tags\":[1]}", "{\"upstream\":\"fake\",\"apiKey\":\"k\",\"pool\":\"a b\"}"));
        bodies.put("PATCH /admin/accounts/" + id, List.of("{", "{}", "{\"priority\":\"1\"}", "{\"id\":\"acc_other\"}",
                "{\"stats\":{}}", "{\"apiKey\":\"sk-new\"}", "{\"status\":\"rate-limited\"}", "{\"status\":\"gone\"}",
                "{\"weight\":-1}", "{\"name\":\"" + longText + "\"}", "{\"unknown\":true}", "{\"priority\":1e400}"));
        bodies.put("POST /admin/users", List.of("{", "{}", "{\"name\":7}", "{\"name\":\"" + longText + "\"}",
                "{\"name\":\"n\",\"apiKey\":\"chosen\"}", "{\"name\":\"n\",\"extra\":1}"));
        bodies.put("PATCH /admin/pools/default", List.of("{", "{}", "{\"perAccount\":-1}", "{\"maxRetries\":99}",
                "{\"strategy\":\"../x\"}", "{\"name\":\"other\"}", "{\"windowMs\":\"1\"}"));
        bodies.put("POST /v1/config/update", List.of("{", "{\"apiKey\":\"k-123456789\"}",
                "{\"apiKey\":\"k-123456789\",\"gcpServiceAccount\":\"str\"}",
                "{\"apiKey\":\"k-123456789\",\"gcpServiceAccount\":{\"no\":\"token\"}}",
                "{\"apiKey\":\"short\",\"account\":{\"upstream\":\"fake\",\"apiKey\":\"k\"}}",
                "{\"apiKey\":\"k-123456789\",\"account\":{\"upstream\":\"fake\",\"apiKey\":\"k\"},\"x\":1}"));
        bodies.put("POST /v1/config/rotate", List.of("{", "{}", "{\"apiKey\":3}", "{\"apiKey\":\"k\",\"more\":1}"));
        byte[] before = read(rotor.storeFile());
        List<String> failures = new ArrayList<>();
        bodies.forEach((route, payloads) -> {
            String[] parts = route.split(" ");
            for (String payload : payloads) {
                HttpResponse<String> response = admin(parts[0], parts[1], payload);
                String code = json(response).at("/error/code").asText();
                if (response.statusCode() != 400 || !code.equals("invalid_request")) {
                    failures.add(route + " " + payload.substring(0, Math.min(60, payload.length())) + " -> "
                            + response.statusCode() + " " + response.body());
                }
            }
        });
        assertEquals(List.of(), failures);
        assertArrayEquals(before, read(rotor.storeFile()), "no refused call changed the store");
        HttpResponse<String> huge = admin("POST", "/admin/accounts", "{\"name\":\"" + "x".repeat(2 * 1024 * 1024) + "\"}");
        assertEquals(413, huge.statusCode());
        assertEquals("payload_too_large", json(huge).at("/error/code").asText());
    }

    @Test
    void unknownAdminPathsAndWrongMethodsAreContractErrors() {
        assertEquals(404, admin("GET", "/admin/nothing", null).statusCode());
        assertEquals(404, admin("GET", "/admin/accounts/a/b/c", null).statusCode());
        HttpResponse<String> wrongMethod = admin("PUT", "/admin/accounts", "{}");
        assertEquals(405, wrongMethod.statusCode());
        assertEquals("method_not_allowed", json(wrongMethod).at("/error/code").asText());
        assertEquals(405, admin("GET", "/admin/rate-limits/reset", null).statusCode());
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
