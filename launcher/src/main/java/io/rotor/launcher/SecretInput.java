package io.rotor.launcher;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
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
