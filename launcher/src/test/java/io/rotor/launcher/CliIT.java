package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI commands of this release, run as an operator would, on the same store the server uses. */
class CliIT {

    @TempDir
    Path dir;
    private FakeOpenAi upstream;
    private RotorHarness harness;
    private final PrintStream originalOut = System.out;
    private final PrintStream originalErr = System.err;
    private final InputStream originalIn = System.in;

    @BeforeEach
    void setUp() throws Exception {
        upstream = new FakeOpenAi();
        harness = new RotorHarness(dir, Map.of(
                "upstream.fake.type", "openai",
                "upstream.fake.baseUrl", upstream.baseUrl(),
                "upstream.fake.models", "*",
                "accounts.autoValidateOnAdd", "true"));
    }

    @AfterEach
    void tearDown() {
        System.setOut(originalOut);
        System.setErr(originalErr);
        System.setIn(originalIn);
        harness.close();
        upstream.close();
    }

    private record Result(int exitCode, String out, String err) {
    }

    private Result rotor(String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        try {
            String[] all = new String[args.length + 2];
            System.arraycopy(args, 0, all, 0, args.length);
            all[args.length] = "--config";
            all[args.length + 1] = harness.configFile.toString();
            int code = Main.run(all);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(originalOut);
            System.setErr(originalErr);
            System.setIn(originalIn);
        }
    }

    @Test
    void usersAddPrintsTheKeyOnceAndTheServerAcceptsIt() {
        Result added = rotor("", "users", "add", "alice");
        assertEquals(0, added.exitCode(), added.err());
        Matcher key = Pattern.compile("API key \\(shown once, store it now\\): (rk-\\S+)").matcher(added.out());
        assertTrue(key.find(), added.out());

        upstream.key("sk-cli", FakeOpenAi.KeyRule.unlimited());
        Result account = rotor("sk-cli\n", "accounts", "add", "--upstream", "fake", "--api-key-stdin", "--name", "cli");
        assertEquals(0, account.exitCode(), account.err());
        assertTrue(account.out().startsWith("Added account acc_"), account.out());
        assertEquals(1, upstream.received("sk-cli"), "the key was validated upstream on add");

        harness.start();
        assertEquals(200, harness.chat(key.group(1), "any-model", false).statusCode());
        Result users = rotor("", "users", "list", "--json");
        assertEquals(0, users.exitCode(), users.err());
        assertFalse(users.out().contains(key.group(1)), "user keys are never listed");
        assertEquals("alice", RotorHarness.json(users.out()).at("/data/0/name").asText());
    }

    @Test
    void accountsListShowsAccountsWithoutSecretsAsTableAndJson() {
        upstream.key("sk-list-secret", FakeOpenAi.KeyRule.unlimited());
        assertEquals(0, rotor("sk-list-secret\n", "accounts", "add", "--upstream", "fake", "--api-key-stdin",
                "--name", "primary", "--priority", "2", "--weight", "3", "--tags", "a,b").exitCode());
        Result table = rotor("", "accounts", "list");
        assertEquals(0, table.exitCode(), table.err());
        assertTrue(table.out().contains("primary") && table.out().contains("active"), table.out());
        Result json = rotor("", "accounts", "list", "--json", "--stats");
        assertEquals(0, json.exitCode(), json.err());
        assertFalse(json.out().contains("sk-list-secret"));
        JsonNode account = RotorHarness.json(json.out()).at("/data/0");
        assertEquals("fake", account.get("upstream").asText());
        assertEquals(2, account.get("priority").asInt());
        assertEquals(3, account.get("weight").asInt());
        assertEquals("b", account.at("/tags/1").asText());
        assertEquals(0, account.at("/stats/totalRequests").asInt());
        assertFalse(account.has("apiKey"));
    }

    @Test
    void aCredentialTheUpstreamRefusesIsNotAddedAndTheCommandFails() throws Exception {
        Result refused = rotor("sk-unknown-to-upstream\n", "accounts", "add", "--upstream", "fake", "--api-key-stdin");
        assertNotEquals(0, refused.exitCode());
        assertTrue(refused.err().startsWith("rotor: "), refused.err());
        assertFalse(refused.err().contains("sk-unknown-to-upstream"));
        assertFalse(Files.exists(harness.storeFile()) && Files.readString(harness.storeFile()).contains("acc_"));
    }

    @Test
    void badInputFailsWithAOneLineReason() {
        Result unknownUpstream = rotor("sk-x\n", "accounts", "add", "--upstream", "nope", "--api-key-stdin", "--no-validate");
        assertNotEquals(0, unknownUpstream.exitCode());
        assertTrue(unknownUpstream.err().contains("Unknown upstream 'nope'"), unknownUpstream.err());
        Result noKey = rotor("", "accounts", "add", "--upstream", "fake", "--api-key-stdin");
        assertNotEquals(0, noKey.exitCode());
        Result help = rotor("", "accounts", "add", "--help");
        assertEquals(0, help.exitCode());
        assertTrue(help.out().contains("--api-key-stdin"));
    }
}
