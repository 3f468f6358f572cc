package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code rotor users remove} and {@code rotor pools list|set} on a real engine and store. */
class UsersAndPoolsCommandsIT {

    @TempDir
    Path dir;
    private RotorHarness harness;

    @BeforeEach
    void setUp() {
        harness = new RotorHarness(dir, Map.of("rateLimit.perAccount", "7", "rateLimit.cooldownMs", "1500"));
    }

    @AfterEach
    void tearDown() {
        harness.close();
    }

    private Cli.Result rotor(String... args) {
        return Cli.run(harness.configFile, "", args);
    }

    private static void assertFailsWithOneLine(Cli.Result result, String reason) {
        assertNotEquals(0, result.exitCode(), result.toString());
        assertTrue(result.err().startsWith("rotor: "), result.toString());
        assertEquals(1, result.err().strip().lines().count(), result.toString());
        assertTrue(result.err().contains(reason), result.toString());
    }

    private String addUser(String name, String... extra) {
        String[] args = new String[3 + extra.length];
        args[0] = "users";
        args[1] = "add";
        args[2] = name;
        System.arraycopy(extra, 0, args, 3, extra.length);
        Cli.Result added = rotor(args);
        assertEquals(0, added.exitCode(), added.toString());
        Matcher id = Pattern.compile("\\((usr_\\S+)\\)").matcher(added.out());
        assertTrue(id.find(), added.out());
        return id.group(1);
    }

    @Test
    void usersRemoveDeletesTheUserAndAnUnknownIdFails() {
        String alice = addUser("alice");
        String bob = addUser("bob", "--pool", "team");
        Cli.Result removed = rotor("users", "remove", alice);
        assertEquals(0, removed.exitCode(), removed.toString());
        assertEquals("Removed user " + alice + ".", removed.out().strip());
        JsonNode users = RotorHarness.json(rotor("users", "list", "--json").out()).get("data");
        assertEquals(1, users.size());
        assertEquals(bob, users.get(0).get("id").asText());
        assertEquals("team", users.get(0).get("pool").asText());
        assertFailsWithOneLine(rotor("users", "remove", alice), "No user with id '" + alice + "'");
        Cli.Result table = rotor("users", "list");
        assertTrue(table.out().contains("bob") && !table.out().contains("alice"), table.out());
    }

    @Test
    void poolsListShowsEveryPoolWithItsEffectiveSettingsAsTableAndJson() {
        addUser("carol", "--pool", "team");
        Cli.Result json = rotor("pools", "list", "--json");
        assertEquals(0, json.exitCode(), json.toString());
        JsonNode pools = RotorHarness.json(json.out()).get("data");
        assertEquals(2, pools.size(), json.out());
        JsonNode first = pools.get(0);
        assertEquals("default", first.get("name").asText());
        assertEquals("round-robin", first.get("strategy").asText());
        assertEquals(7, first.get("perAccount").asInt(), "the configured default applies");
        assertEquals(1500, first.get("cooldownMs").asLong());
        assertEquals(60000, first.get("windowMs").asLong());
        assertEquals(3, first.get("maxRetries").asInt());
        assertEquals(0, first.get("accounts").asInt());
        assertEquals("team", pools.get(1).get("name").asText());
        assertEquals(1, pools.get(1).get("users").asInt());

        Cli.Result table = rotor("pools", "list");
        assertEquals(0, table.exitCode(), table.toString());
        assertTrue(table.out().startsWith("POOL"), table.out());
        assertTrue(table.out().lines().anyMatch(l -> l.startsWith("team") && l.contains("round-robin")), table.out());
    }

    @Test
    void poolsSetChangesEveryKeyAndKeepsTheOthers() {
        Cli.Result set = rotor("pools", "set", "team", "strategy=least-used", "perAccount=5", "windowMs=30000",
                "cooldownMs=9000", "maxRetries=1", "--json");
        assertEquals(0, set.exitCode(), set.toString());
        JsonNode printed = RotorHarness.json(set.out());
        assertEquals("team", printed.get("name").asText());
        assertEquals("least-used", printed.get("strategy").asText());
        assertEquals("least-used", printed.get("activeStrategy").asText());

        assertEquals(0, rotor("pools", "set", "team", "perAccount=0").exitCode());
        JsonNode team = RotorHarness.json(rotor("pools", "list", "--json").out()).at("/data/1");
        assertEquals("team", team.get("name").asText());
        assertEquals("least-used", team.get("strategy").asText());
        assertEquals(0, team.get("perAccount").asInt());
        assertEquals(30000, team.get("windowMs").asLong());
        assertEquals(9000, team.get("cooldownMs").asLong());
        assertEquals(1, team.get("maxRetries").asInt());
    }

    @Test
    void poolsSetRefusesUnknownKeysAndBadValuesAndChangesNothing() throws Exception {
        assertEquals(0, rotor("pools", "set", "default", "perAccount=4").exitCode());
        String before = Files.readString(harness.storeFile());
        assertFailsWithOneLine(rotor("pools", "set", "default", "perAccount=5", "colour=blue"),
                "unknown pool setting 'colour'");
        assertFailsWithOneLine(rotor("pools", "set", "default", "perAccount=many"), "perAccount must be a whole number");
        assertFailsWithOneLine(rotor("pools", "set", "default", "perAccount"), "expected key=value");
        assertFailsWithOneLine(rotor("pools", "set", "default", "perAccount=1", "perAccount=2"), "given twice");
        assertFailsWithOneLine(rotor("pools", "set", "default", "maxRetries=99"), "'maxRetries' must be between");
        assertFailsWithOneLine(rotor("pools", "set", "default", "windowMs=0"), "'windowMs' must be between");
        assertFailsWithOneLine(rotor("pools", "set", "default", "cooldownMs=-5"), "'cooldownMs' must be between");
        assertFailsWithOneLine(rotor("pools", "set", "default", "strategy=no spaces"), "'strategy'");
        assertFailsWithOneLine(rotor("pools", "set", "bad pool!", "perAccount=1"), "'pool'");
        assertFailsWithOneLine(rotor("pools", "set", "default"), "key=value");
        assertEquals(before, Files.readString(harness.storeFile()));
    }

    @Test
    void aStrategyThatIsNotInstalledIsStoredWithANote() {
        Cli.Result set = rotor("pools", "set", "default", "strategy=my-script");
        assertEquals(0, set.exitCode(), set.toString());
        assertTrue(set.out().contains("my-script (using round-robin)"), set.out());
        assertTrue(set.out().contains("is not installed"), set.out());
        assertFalse(set.out().contains("null"), set.out());
    }
}
