package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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

    @ParameterizedTest
    @ValueSource(strings = {"serve", "serve --config rotor.properties", "serve --config=conf/rotor.properties"})
    void aPlainServeSkipsPicocliAndReadsTheSameConfigFile(String command) {
        ServeCommand plain = Main.plainServe(command.split(" "));
        assertNotNull(plain, command);
        String[] words = command.split("[ =]");
        assertEquals(words.length == 1 ? null : Path.of(words[2]), plain.config.file);
    }

    @ParameterizedTest
    @ValueSource(strings = {"serve --help", "serve --version", "serve --config", "serve --config=", "serve --config -h",
            "serve --config a b", "serve extra", "accounts list", "serve --config=a --config=b", "serve --config @args"})
    void anythingElseIsLeftToPicocli(String command) {
        assertNull(Main.plainServe(command.split(" ")), command);
    }

    @ParameterizedTest
    @ValueSource(strings = {"--config", "serve --config"})
    void aPlainServeOfAMissingConfigFileFailsAsPicocliWould(String command, @TempDir Path folder) {
        String missing = folder.resolve("missing.properties").toString();
        String[] args = (command + " " + missing).split(" ");
        Cli.Result plain = Cli.run(null, "", args);
        Cli.Result throughPicocli = Cli.capture("", () -> Main.withPicocli(new String[] {"serve", "--config", missing}));
        assertEquals(1, plain.exitCode(), plain.toString());
        assertEquals("", plain.out());
        assertTrue(plain.err().startsWith("rotor: "), plain.err());
        assertEquals(1, plain.err().strip().lines().count(), plain.err());
        assertEquals(throughPicocli.toString(), plain.toString());
    }

    @Test
    void aServeThatFailsLeavesNoReadyMarkSoNoStartUpCacheIsKept(@TempDir Path folder) {
        Path mark = folder.resolve("rotor-serve.aot.ok");
        System.setProperty(ServeCommand.AOT_READY_FILE, mark.toString());
        try {
            Cli.Result result = Cli.run(folder.resolve("missing.properties"), "", "serve");
            assertEquals(1, result.exitCode(), result.toString());
            assertFalse(Files.exists(mark), "a failed start left " + mark);
        } finally {
            System.clearProperty(ServeCommand.AOT_READY_FILE);
        }
    }
}
