package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The command line itself, without starting anything: help for every command, one-line usage errors. */
class CommandLineTest {

    @ParameterizedTest
    @ValueSource(strings = {"", "serve", "demo", "accounts", "accounts add", "accounts list", "accounts test",
            "accounts stats", "accounts update", "accounts remove", "accounts reset", "accounts import", "users",
            "users add", "users list", "users remove", "pools", "pools list", "pools set"})
    void everyCommandPrintsItsHelpAndSucceeds(String command) {
        String[] words = command.isEmpty() ? new String[0] : command.split(" ");
        String[] args = new String[words.length + 1];
        System.arraycopy(words, 0, args, 0, words.length);
        args[words.length] = "--help";
        Cli.Result help = Cli.run(null, "", args);
        assertEquals(0, help.exitCode(), help.toString());
        assertTrue(help.out().startsWith("Usage: rotor" + (command.isEmpty() ? "" : " " + command)), help.out());
        assertEquals("", help.err());
    }

    @ParameterizedTest
    @ValueSource(strings = {"accounts", "accounts list --bogus", "accounts update", "accounts test a b",
            "accounts add --priority high", "pools set", "users remove", "nonsense"})
    void aUsageErrorIsOneLineOnStderrWithANonZeroCode(String command) {
        Cli.Result result = Cli.run(null, "", command.split(" "));
        assertNotEquals(0, result.exitCode());
        assertEquals("", result.out());
        assertTrue(result.err().startsWith("rotor: "), result.err());
        assertEquals(1, result.err().strip().lines().count(), result.err());
        assertTrue(result.err().contains("--help"), result.err());
    }
}
