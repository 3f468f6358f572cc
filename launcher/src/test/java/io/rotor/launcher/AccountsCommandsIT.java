package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code rotor accounts …} on a real engine and store: every subcommand, its failures, and no secret printed. */
class AccountsCommandsIT {

    /** Secrets that must never show up in anything a command prints. */
    private static final String CANARY_KEY = "sk-canary-4f1e9b2d7c";
    private static final String CANARY_PASSWORD = "canary-k2-password-81d3";
    private static final String CANARY_REFRESH = "canary-refresh-token-55ab";

    @TempDir
    Path dir;
    private FakeOpenAi upstream;
    private RotorHarness harness;

    @BeforeEach
    void setUp() throws Exception {
        upstream = new FakeOpenAi();
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        harness = new RotorHarness(dir, Map.of(
                "upstream.fake.type", "openai",
                "upstream.fake.baseUrl", upstream.baseUrl(),
                "upstream.fake.models", "*",
                "upstream.down.type", "openai",
                "upstream.down.baseUrl", "http://127.0.0.1:" + closedPort + "/v1",
                "upstream.down.models", "*",
                "rateLimit.perAccount", "0"));
    }

    @AfterEach
    void tearDown() {
        harness.close();
        upstream.close();
    }

    private Cli.Result rotor(String stdin, String... args) {
        return Cli.run(harness.configFile, stdin, args);
    }

    /** Adds an openai-type account without validation and returns its id. */
    private String add(String upstreamName, String key, String... extra) {
        String[] args = new String[5 + extra.length];
        args[0] = "accounts";
        args[1] = "add";
        args[2] = "--upstream";
        args[3] = upstreamName;
        args[4] = "--api-key-stdin";
        System.arraycopy(extra, 0, args, 5, extra.length);
        Cli.Result added = rotor(key + "\n", args);
        assertEquals(0, added.exitCode(), added.toString());
        Matcher id = Pattern.compile("Added account (acc_\\S+) ").matcher(added.out());
        assertTrue(id.find(), added.out());
        assertFalse(added.printed().contains(key));
        return id.group(1);
    }

    private JsonNode listed(String id) {
        Cli.Result list = rotor("", "accounts", "list", "--json");
        assertEquals(0, list.exitCode(), list.toString());
        for (JsonNode account : RotorHarness.json(list.out()).get("data")) {
            if (account.get("id").asText().equals(id)) {
                return account;
            }
        }
        return null;
    }

    private static void assertFailsWithOneLine(Cli.Result result, String reason) {
        assertNotEquals(0, result.exitCode(), result.toString());
        assertTrue(result.err().startsWith("rotor: "), result.toString());
        assertEquals(1, result.err().strip().lines().count(), result.toString());
        assertTrue(result.err().contains(reason), result.toString());
    }

    @Test
    void testPrintsValidForACredentialTheUpstreamAccepts() {
        upstream.key(CANARY_KEY, FakeOpenAi.KeyRule.unlimited());
        String id = add("fake", CANARY_KEY, "--no-validate");
        Cli.Result tested = rotor("", "accounts", "test", id);
        assertEquals(0, tested.exitCode(), tested.toString());
        assertEquals("valid", tested.out().strip());
        assertEquals(1, upstream.received(CANARY_KEY), "checked against the upstream");
        assertFalse(tested.printed().contains(CANARY_KEY));
        assertEquals("active", listed(id).get("status").asText());
    }

    @Test
    void testFailsWithTheReasonAndMarksTheAccountInvalidWhenTheUpstreamRefuses() {
        String id = add("fake", CANARY_KEY, "--no-validate"); // the fake upstream does not know this key: 401
        Cli.Result tested = rotor("", "accounts", "test", id);
        assertFailsWithOneLine(tested, "credential rejected by upstream (HTTP 401)");
        assertFalse(tested.printed().contains(CANARY_KEY));
        JsonNode account = listed(id);
        assertEquals("invalid", account.get("status").asText());
        assertTrue(account.get("statusReason").asText().contains("401"), account.toString());
    }

    @Test
    void testOfAnUnreachableUpstreamFailsAndLeavesTheAccountAsItIs() {
        String id = add("down", CANARY_KEY, "--no-validate");
        assertFailsWithOneLine(rotor("", "accounts", "test", id), "unreachable");
        assertEquals("active", listed(id).get("status").asText());
        assertFailsWithOneLine(rotor("", "accounts", "test", "acc_missing"), "No account with id 'acc_missing'");
    }

    @Test
    void statsShowsPerAccountAndTotalCountsAsTableAndJson() {
        upstream.key("sk-stats-a", FakeOpenAi.KeyRule.unlimited());
        upstream.key("sk-stats-b", new FakeOpenAi.KeyRule(1, "1", 200)); // one request, then 429
        String a = add("fake", "sk-stats-a", "--name", "alpha");
        String b = add("fake", "sk-stats-b", "--name", "beta");
        harness.start();
        String user = harness.addUser("stats");
        for (int i = 0; i < 4; i++) {
            assertEquals(200, harness.chat(user, "m", false).statusCode());
        }
        harness.stop(); // flushes the statistics to the store

        Cli.Result json = rotor("", "accounts", "stats", "--json");
        assertEquals(0, json.exitCode(), json.toString());
        JsonNode stats = RotorHarness.json(json.out());
        assertEquals(2, stats.at("/totals/totalAccounts").asInt());
        assertEquals(5, stats.at("/totals/totalRequests").asInt(), json.out()); // b's 429 was retried on a
        assertEquals(4, stats.at("/totals/successfulRequests").asInt());
        assertEquals(1, stats.at("/totals/failedRequests").asInt());
        assertEquals(1, stats.at("/totals/rateLimitHits").asInt());
        assertEquals(0.8, stats.at("/totals/successRate").asDouble(), 1e-9);
        JsonNode first = stats.at("/accounts/0");
        assertEquals(a, first.get("id").asText());
        assertEquals("alpha", first.get("name").asText());
        assertEquals(3, first.at("/stats/totalRequests").asInt());
        assertEquals(1.0, first.at("/stats/successRate").asDouble(), 1e-9);
        assertEquals(b, stats.at("/accounts/1/id").asText());

        Cli.Result table = rotor("", "accounts", "stats");
        assertEquals(0, table.exitCode(), table.toString());
        assertTrue(table.out().lines().anyMatch(l -> l.startsWith(a) && l.contains("alpha") && l.contains("100.0%")),
                table.out());
        assertTrue(table.out().lines().anyMatch(l -> l.startsWith("total") && l.contains("80.0%")), table.out());
    }

    @Test
    void updateChangesEveryEditableField() {
        String id = add("fake", CANARY_KEY, "--no-validate", "--name", "before", "--tags", "x");
        Cli.Result updated = rotor("", "accounts", "update", id, "--name", "after", "--priority", "5", "--weight", "7",
                "--status", "inactive", "--tags", "a,b", "--pool", "team", "--max-concurrent", "3", "--json");
        assertEquals(0, updated.exitCode(), updated.toString());
        assertFalse(updated.printed().contains(CANARY_KEY));
        JsonNode printed = RotorHarness.json(updated.out());
        assertEquals("after", printed.get("name").asText());
        JsonNode account = listed(id);
        assertEquals("after", account.get("name").asText());
        assertEquals(5, account.get("priority").asInt());
        assertEquals(7, account.get("weight").asInt());
        assertEquals("inactive", account.get("status").asText());
        assertEquals("[\"a\",\"b\"]", account.get("tags").toString());
        assertEquals("team", account.get("pool").asText());
        assertEquals(3, account.get("maxConcurrent").asInt());

        Cli.Result cleared = rotor("", "accounts", "update", id, "--tags", "", "--status", "active");
        assertEquals(0, cleared.exitCode(), cleared.toString());
        assertTrue(cleared.out().startsWith("Updated account " + id), cleared.out());
        assertEquals(0, listed(id).get("tags").size());
        assertEquals("active", listed(id).get("status").asText());
    }

    @Test
    void updateRefusesBadInputAndChangesNothing() throws Exception {
        String id = add("fake", CANARY_KEY, "--no-validate", "--name", "kept");
        byte[] before = Files.readAllBytes(harness.storeFile());
        assertFailsWithOneLine(rotor("", "accounts", "update", id, "--status", "rate-limited", "--name", "x"),
                "set by Rotor");
        assertFailsWithOneLine(rotor("", "accounts", "update", id, "--status", "sleepy"), "unknown account status");
        assertFailsWithOneLine(rotor("", "accounts", "update", id, "--weight", "-1"), "'weight' must be between");
        assertFailsWithOneLine(rotor("", "accounts", "update", id, "--priority", "high"), "'high'");
        assertFailsWithOneLine(rotor("", "accounts", "update", id, "--pool", "no spaces"), "'pool'");
        assertFailsWithOneLine(rotor("", "accounts", "update", id), "Nothing to change");
        assertFailsWithOneLine(rotor("", "accounts", "update", "acc_missing", "--name", "x"), "No account with id");
        assertEquals(new String(before), Files.readString(harness.storeFile()));
    }

    @Test
    void removeDeletesTheAccountAndAnUnknownIdFails() throws Exception {
        String keep = add("fake", "sk-keep", "--no-validate");
        String gone = add("fake", "sk-gone", "--no-validate");
        Cli.Result removed = rotor("", "accounts", "remove", gone);
        assertEquals(0, removed.exitCode(), removed.toString());
        assertEquals("Removed account " + gone + ".", removed.out().strip());
        assertEquals(null, listed(gone));
        assertTrue(listed(keep) != null);
        assertFalse(Files.readString(harness.storeFile()).contains(gone));
        assertFailsWithOneLine(rotor("", "accounts", "remove", gone), "No account with id '" + gone + "'");
    }

    @Test
    void resetClearsCooldownsAndWindows() {
        upstream.key("sk-r1", FakeOpenAi.KeyRule.unlimited());
        String id = add("fake", "sk-r1");
        assertEquals(0, rotor("", "pools", "set", "default", "perAccount=1", "cooldownMs=600000").exitCode());
        harness.start();
        String user = harness.addUser("reset");
        assertEquals(200, harness.chat(user, "m", false).statusCode());
        assertEquals(429, harness.chat(user, "m", false).statusCode());
        harness.stop();
        assertEquals("rate-limited", listed(id).get("status").asText());

        Cli.Result reset = rotor("", "accounts", "reset");
        assertEquals(0, reset.exitCode(), reset.toString());
        assertEquals("Cleared the rate-limit windows and cooldowns of 1 account.", reset.out().strip());
        JsonNode account = listed(id);
        assertEquals("active", account.get("status").asText());
        assertTrue(account.at("/rateLimit/blockedUntil").isNull(), account.toString());
        assertEquals(0, account.at("/rateLimit/requestsThisWindow").asInt());
    }

    @Test
    void addTakesAK2ThinkEmailAndPasswordFromFlagsAndStdin() throws Exception {
        Cli.Result added = rotor(CANARY_PASSWORD + "\n", "accounts", "add", "--upstream", "k2think", "--email",
                "alice.wonder@example.com", "--password-stdin", "--name", "k2");
        assertEquals(0, added.exitCode(), added.toString());
        assertTrue(added.out().contains("(k2think, pool default) for ali***@example.com"), added.out());
        assertFalse(added.printed().contains(CANARY_PASSWORD));
        assertFalse(added.printed().contains("alice.wonder@"), "the email is masked");
        assertFalse(Files.readString(harness.storeFile()).contains(CANARY_PASSWORD), "stored encrypted");
        Cli.Result list = rotor("", "accounts", "list", "--json");
        assertEquals("ali***@example.com", RotorHarness.json(list.out()).at("/data/0/email").asText());
        assertFalse(list.printed().contains("alice.wonder@"));
    }

    @Test
    void addTakesAGeminiCredentialFromAFile() throws Exception {
        Path credential = dir.resolve("oauth_creds.json");
        Files.writeString(credential, "{\"access_token\":\"ya29.x\",\"refresh_token\":\"" + CANARY_REFRESH
                + "\",\"token_type\":\"Bearer\"}");
        Cli.Result added = rotor("", "accounts", "add", "--upstream", "gemini-code-assist", "--credential-file",
                credential.toString(), "--no-validate");
        assertEquals(0, added.exitCode(), added.toString());
        assertTrue(added.out().contains("(gemini-code-assist, pool default)"), added.out());
        assertFalse(added.printed().contains(CANARY_REFRESH));
        assertFalse(Files.readString(harness.storeFile()).contains(CANARY_REFRESH));

        assertFailsWithOneLine(rotor("", "accounts", "add", "--upstream", "gemini-code-assist", "--credential-file",
                dir.resolve("missing.json").toString()), "credential file not found");
    }

    @Test
    void addWithoutATerminalOrACredentialFailsAtOnceWithTheFlagToUse() throws Exception {
        assertFailsWithOneLine(rotor("", "accounts", "add", "--upstream", "fake"), "--api-key-stdin");
        assertFailsWithOneLine(rotor("", "accounts", "add", "--upstream", "k2think", "--email", "a@example.com"),
                "--password-stdin");
        assertFailsWithOneLine(rotor("pw\n", "accounts", "add", "--upstream", "k2think", "--password-stdin"), "--email");
        assertFailsWithOneLine(rotor("", "accounts", "add", "--upstream", "gemini-code-assist"), "--credential-file");
        assertFailsWithOneLine(rotor("", "accounts", "add", "--upstream", "fake", "--api-key-stdin"),
                "expected the API key on standard input");
        assertFalse(Files.exists(harness.storeFile()) && Files.readString(harness.storeFile()).contains("acc_"));
    }

    @Test
    void listJsonIsTheContractsAccountObjectWithoutSecrets() {
        String id = add("fake", CANARY_KEY, "--no-validate", "--name", "n", "--tags", "t1");
        Cli.Result list = rotor("", "accounts", "list", "--json", "--stats");
        assertEquals(0, list.exitCode(), list.toString());
        assertFalse(list.printed().contains(CANARY_KEY));
        JsonNode account = RotorHarness.json(list.out()).at("/data/0");
        for (String field : new String[] {"id", "upstream", "pool", "name", "status", "priority", "weight", "tags",
                "maxConcurrent", "createdAt", "lastUsed", "stats", "rateLimit"}) {
            assertTrue(account.has(field), field + " in " + account);
        }
        assertEquals(id, account.get("id").asText());
        assertFalse(account.has("apiKey") || account.has("secrets"));
        assertEquals(0.0, account.at("/stats/successRate").asDouble());
    }
}
