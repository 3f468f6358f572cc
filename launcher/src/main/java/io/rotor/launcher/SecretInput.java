package io.rotor.launcher;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Where the CLI takes secrets from: standard input, or a prompt on the operator's terminal with
 * echo off. Never from the command line, where they would end up in the shell history and in
 * {@code ps}.
 */
final class SecretInput {

    private final Console terminal = System.console();
    private BufferedReader stdin;

    /** True when a terminal is attached (the JDK gives no console when a standard stream is redirected). */
    boolean hasTerminal() {
        return terminal != null;
    }

    /**
     * Reads the next line of standard input as {@code what}.
     *
     * @throws IllegalArgumentException if standard input is empty
     */
    String stdinLine(String what) {
        try {
            if (stdin == null) {
                stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            }
            String line = stdin.readLine();
            if (line == null || line.isBlank()) {
                throw new IllegalArgumentException("expected the " + what + " on standard input");
            }
            return line.trim();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read standard input", e);
        }
    }

    /**
     * Reads a key given with a {@code --…-stdin} flag or a {@code --…-file F} option.
     *
     * @return the key, or null if neither was given
     * @throws IllegalArgumentException if both were given, the file is missing or standard input is empty
     */
    String keyFromStdinOrFile(boolean stdinFlag, Path file, String what) {
        if (stdinFlag && file != null) {
            throw new IllegalArgumentException("give the " + what + " either on standard input or in a file, not both");
        }
        if (stdinFlag) {
            return stdinLine(what);
        }
        if (file == null) {
            return null;
        }
        try {
            return Files.readString(file, StandardCharsets.UTF_8).trim();
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(what + " file not found: " + file.toAbsolutePath());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the " + what + " file " + file.toAbsolutePath() + ": "
                    + e.getMessage());
        }
    }

    /** Asks on the terminal; returns null for an empty answer. Only call when {@link #hasTerminal()}. */
    String ask(String prompt) {
        String answer = terminal.readLine("%s", prompt);
        return answer == null || answer.isBlank() ? null : answer.trim();
    }

    /**
     * Asks on the terminal with echo off.
     *
     * @throws IllegalArgumentException if the answer is empty
     */
    String askHidden(String prompt, String what) {
        char[] answer = terminal.readPassword("%s", prompt);
        try {
            String value = answer == null ? "" : new String(answer).trim();
            if (value.isEmpty()) {
                throw new IllegalArgumentException("no " + what + " given");
            }
            return value;
        } finally {
            if (answer != null) {
                Arrays.fill(answer, ' ');
            }
        }
    }
}
