package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code rotor example-client}, the in-process client's example, run as its own process as a user runs it. */
class ExampleClientIT {

    /** Runs {@code rotor example-client ARGS} with {@code stdin}; returns its exit code and output. */
    private static String[] run(String stdin, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-Drotor.home=" + System.getProperty("rotor.home"),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "example-client"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            try (OutputStream in = process.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the example did not end");
            return new String[] {String.valueOf(process.exitValue()), output};
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void theExampleRotatesStreamsMeetsACooldownResetsAndPrintsStatistics() throws Exception {
        String[] result = run("");
        String output = result[1];
        assertEquals("0", result[0], output);
        assertEquals(List.of("key-1", "key-2", "key-3"), Pattern.compile("request \\d {2}served by (key-\\d):")
                .matcher(output).results().map(m -> m.group(1)).toList(), output);
        assertTrue(Pattern.compile("served by key-\\d: Hello from the demo upstream").matcher(output).find(), output);
        assertTrue(Pattern.compile("NO_AVAILABLE_ACCOUNTS \\(HTTP 429\\), retry in \\d+ ms").matcher(output).find(),
                output);
        assertTrue(output.contains("resetRateLimits() cleared 3 accounts; one more request is served by key-"), output);
        assertTrue(Pattern.compile("total: 7 requests, success rate 100 %").matcher(output).find(), output);
        assertFalse(output.contains("Generated master key"), output);
    }

    @Test
    void againstAnotherUpstreamTheKeysComeFromStandardInput() throws Exception {
        try (FakeOpenAi upstream = new FakeOpenAi()) {
            upstream.key("sk-first", FakeOpenAi.KeyRule.unlimited());
            upstream.key("sk-second", FakeOpenAi.KeyRule.unlimited());
            String[] result = run("sk-first\nsk-second\n", "--base-url", upstream.baseUrl(), "--model", "fake-model");
            assertEquals("0", result[0], result[1]);
            assertTrue(result[1].contains("served by key-2: hello"), result[1]);
            assertTrue(upstream.served("sk-first") > 0 && upstream.served("sk-second") > 0);
            assertFalse(result[1].contains("sk-first"), "no key is printed");
        }
    }
}
