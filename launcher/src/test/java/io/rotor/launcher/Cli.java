package io.rotor.launcher;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.IntSupplier;
import java.util.stream.Stream;

/** Runs a CLI command in-process as an operator would, capturing what it prints. */
final class Cli {

    record Result(int exitCode, String out, String err) {
        /** Everything printed, for asserting that a secret appears nowhere. */
        String printed() {
            return out + err;
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- out\n" + out + "--- err\n" + err;
        }
    }

    private Cli() {
    }

    /** Runs {@code rotor args… --config config} with {@code stdin} as standard input. */
    static Result run(Path config, String stdin, String... args) {
        String[] all = config == null ? args
                : Stream.concat(Arrays.stream(args), Stream.of("--config", config.toString())).toArray(String[]::new);
        return capture(stdin, () -> Main.run(all));
    }

    /** Runs {@code command} with {@code stdin} as standard input, capturing what it prints. */
    static Result capture(String stdin, IntSupplier command) {
        PrintStream originalOut = System.out;
        PrintStream originalErr = System.err;
        InputStream originalIn = System.in;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        try {
            int code = command.getAsInt();
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(originalOut);
            System.setErr(originalErr);
            System.setIn(originalIn);
        }
    }
}
