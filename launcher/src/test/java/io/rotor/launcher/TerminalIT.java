package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI as its own process: prompting on a real terminal (a pseudo-terminal from util-linux
 * {@code script}), where a secret typed at a hidden prompt must not be echoed, and the seed's old key
 * taken from the environment.
 */
class TerminalIT {

    private static final String TYPED_PASSWORD = "canary-typed-password-6c2e";

    @TempDir
    Path dir;
    private RotorHarness harness;

    @BeforeEach
    void setUp() {
        harness = new RotorHarness(dir, Map.of());
    }

    private List<String> rotorCommand(String... args) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-Drotor.home=" + System.getProperty("rotor.home"),
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        command.addAll(List.of("--config", harness.configFile.toString()));
        return command;
    }

    /** A process whose output is collected as it arrives, so a test can answer prompts. */
    private static final class Session implements AutoCloseable {
        private final Process process;
        private final StringBuffer output = new StringBuffer();
        private final OutputStream input;

        Session(Process process) {
            this.process = process;
            this.input = process.getOutputStream();
            Thread reader = new Thread(() -> {
                byte[] buffer = new byte[4096];
                try (InputStream in = process.getInputStream()) {
                    for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                        output.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                    }
                } catch (IOException e) {
                    // the process ended
                }
            });
            reader.setDaemon(true);
            reader.start();
        }

        /** Waits for {@code prompt} to appear after everything answered so far, then types {@code answer}. */
        void answer(String prompt, String answer) throws Exception {
            long deadline = System.currentTimeMillis() + 30_000;
            while (!output.toString().contains(prompt)) {
                if (System.currentTimeMillis() > deadline || !process.isAlive()) {
                    fail("no prompt '" + prompt + "' in:\n" + output);
                }
                Thread.sleep(20);
            }
            input.write((answer + "\n").getBytes(StandardCharsets.UTF_8));
            input.flush();
        }

        int exitCode() throws InterruptedException {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                fail("the command did not end:\n" + output);
            }
            return process.exitValue();
        }

        String output() {
            return output.toString();
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }

    /** Runs the command on a pseudo-terminal: {@code script -qec CMD /dev/null}. */
    private Session onTerminal(String... args) throws IOException {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")), "util-linux script is not installed");
        StringBuilder shell = new StringBuilder();
        for (String word : rotorCommand(args)) {
            shell.append('\'').append(word.replace("'", "'\\''")).append("' ");
        }
        return new Session(new ProcessBuilder("/usr/bin/script", "-qec", shell.toString(), "/dev/null")
                .redirectErrorStream(true).start());
    }

    @Test
    void accountsAddPromptsForTheEmailAndAHiddenPasswordOnATerminal() throws Exception {
        try (Session session = onTerminal("accounts", "add", "--upstream", "k2think", "--no-validate")) {
            session.answer("Email: ", "alice@example.com");
            session.answer("Password: ", TYPED_PASSWORD);
            session.answer("Name (optional): ", "from-a-terminal");
            assertEquals(0, session.exitCode(), session.output());
            assertTrue(session.output().contains("Email: alice@example.com"), "visible input is echoed");
            assertTrue(session.output().contains("(k2think, pool default) for ali***@example.com"), session.output());
            assertFalse(session.output().contains(TYPED_PASSWORD), "the password was echoed:\n" + session.output());
        }
        String store = Files.readString(harness.storeFile());
        assertFalse(store.contains(TYPED_PASSWORD));
        assertTrue(store.contains("from-a-terminal"));
    }

    @Test
    void accountsImportAsksForTheOldKeyHiddenOnATerminal() throws Exception {
        Path seed = seedFile();
        try (Session session = onTerminal("accounts", "import", seed.toString())) {
            session.answer("The seed's encryption key (64 hex characters): ", SeedImportIT.OLD_KEY);
            assertEquals(0, session.exitCode(), session.output());
            assertTrue(session.output().contains("Imported 1, skipped 0, failed 0 of 1 account"), session.output());
            assertFalse(session.output().contains(SeedImportIT.OLD_KEY), "the key was echoed:\n" + session.output());
        }
    }

    @Test
    void accountsImportTakesTheOldKeyFromTheEnvironment() throws Exception {
        Path seed = seedFile();
        ProcessBuilder builder = new ProcessBuilder(rotorCommand("accounts", "import", seed.toString()))
                .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        builder.environment().put(SeedImportCommand.OLD_KEY_ENV, SeedImportIT.OLD_KEY);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), output);
        assertTrue(output.contains("Imported 1, skipped 0, failed 0 of 1 account"), output);
        assertFalse(output.contains(SeedImportIT.PASSWORD_ONE) || output.contains(SeedImportIT.OLD_KEY), output);
    }

    private Path seedFile() throws IOException {
        Path file = dir.resolve("seed.json");
        Files.writeString(file, """
                {"version": "1.0", "accounts": [{"id": "%s", "email": "one@example.com", "password": "%s",
                  "encryptionMethod": "aes-256-gcm", "status": "active", "priority": 1,
                  "metadata": {"name": "One", "tags": []}}]}
                """.formatted(SeedImportIT.ID_ONE, SeedImportIT.CIPHERTEXT_ONE));
        return file;
    }
}
