package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code rotor demo}, run in-process as a user would run it, then stopped as Ctrl-C stops it. */
class DemoIT {

    private static final Pattern CURL = Pattern.compile(
            "curl -si (http://127\\.0\\.0\\.1:(\\d+)/v1/chat/completions) -H 'Authorization: Bearer (rk-[^']+)'"
                    + " -H 'Content-Type: application/json' -d '([^']+)'");

    @Test
    void theDemoPrintsAWorkingCurlLineShowsRotationAndACooldownAndStopsCleanly() throws Exception {
        ExecutorService background = Executors.newSingleThreadExecutor();
        try (ServerSocket busy = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            DemoCommand demo = new DemoCommand();
            StringWriter printed = new StringWriter();
            CommandLine command = new CommandLine(demo);
            command.setOut(new PrintWriter(printed, true));
            Future<Integer> exit = background.submit(() -> command.execute("--port",
                    String.valueOf(busy.getLocalPort())));
            String output = awaitOutput(printed, exit, "until Ctrl-C");

            assertTrue(output.contains("Port " + busy.getLocalPort() + " is busy; using a free port instead."), output);
            Matcher curl = CURL.matcher(output);
            assertTrue(curl.find(), output);
            assertNotEquals(busy.getLocalPort(), Integer.parseInt(curl.group(2)));

            List<String> servedBy = Pattern.compile("HTTP 200 {2}served by (demo-\\d)").matcher(output).results()
                    .map(m -> m.group(1)).toList();
            assertEquals(List.of("demo-1", "demo-2", "demo-3"), servedBy.subList(0, 3), output);
            assertTrue(Pattern.compile("demo-3 cools down for \\d+ s: rate-limited by upstream").matcher(output).find(),
                    "the upstream's 429 cooled demo-3 down:\n" + output);
            assertTrue(Pattern.compile("demo-\\d cools down for \\d s: request limit of 3").matcher(output).find(),
                    "the window limit cooled an account down:\n" + output);
            assertTrue(Pattern.compile("HTTP 429 {2}NO_AVAILABLE_ACCOUNTS, Retry-After: \\d+ s").matcher(output).find(),
                    output);
            String afterWaiting = output.substring(output.indexOf("Waiting"));
            assertTrue(afterWaiting.contains("HTTP 200  served by"), "served again after the cooldown:\n" + output);

            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(curl.group(1))).header("Authorization", "Bearer " + curl.group(3))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(curl.group(4))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), response.body());
            assertTrue(response.headers().firstValue("X-Rotor-Account").orElse("").startsWith("acc_"));
            assertTrue(response.body().contains("Hello from the demo upstream"), response.body());
            runCurlIfInstalled(curl.group());
            Matcher master = Pattern.compile("curl -s (\\S+/admin/accounts) -H 'Authorization: Bearer ([^']+)'")
                    .matcher(output);
            assertTrue(master.find(), output);
            HttpResponse<String> accounts = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(master.group(1))).header("Authorization", "Bearer " + master.group(2)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, accounts.statusCode(), accounts.body());
            assertEquals(3, RotorHarness.json(accounts.body()).get("data").size());
            assertFalse(accounts.body().contains("demo-key-"), "no secret in the admin API");

            Matcher store = Pattern.compile("Store: (\\S+) \\(temporary").matcher(output);
            assertTrue(store.find(), output);
            Path data = Path.of(store.group(1));
            assertTrue(Files.isDirectory(data));

            demo.stop();
            assertEquals(0, exit.get(30, TimeUnit.SECONDS));
            assertFalse(Files.exists(data), "the temporary store is deleted");
            assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", Integer.parseInt(curl.group(2))).close(),
                    "the gateway stopped");
        } finally {
            background.shutdownNow();
        }
    }

    private static String awaitOutput(StringWriter printed, Future<Integer> exit, String marker) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            String output = printed.toString();
            if (output.contains(marker)) {
                return output;
            }
            if (exit.isDone()) {
                fail("the demo ended early with " + exit.get() + ":\n" + output);
            }
            Thread.sleep(50);
        }
        fail("the demo did not get to '" + marker + "':\n" + printed);
        return null;
    }

    /** The printed line itself, run by a shell as a user would paste it (when curl is installed). */
    private static void runCurlIfInstalled(String curlLine) throws IOException, InterruptedException {
        Process probe;
        try {
            probe = new ProcessBuilder("curl", "--version").redirectErrorStream(true).start();
        } catch (IOException e) {
            return;
        }
        probe.getInputStream().readAllBytes();
        if (probe.waitFor() != 0) {
            return;
        }
        Process curl = new ProcessBuilder("/bin/sh", "-c", curlLine).redirectErrorStream(true).start();
        String response = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, curl.waitFor(), response);
        assertTrue(response.startsWith("HTTP/1.1 200"), response);
        assertTrue(response.toLowerCase().contains("x-rotor-account: acc_"), response);
        assertTrue(response.contains("Hello from the demo upstream"), response);
    }
}
