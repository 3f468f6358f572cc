package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code rotor serve} as its own process: SIGTERM stops it cleanly and flushes statistics. */
class ProcessIT {

    @TempDir
    Path dir;

    @Test
    void sigtermStopsTheServerAndFlushesStatistics() throws Exception {
        try (FakeOpenAi upstream = new FakeOpenAi()) {
            upstream.key("sk-p", FakeOpenAi.KeyRule.unlimited());
            RotorHarness harness = new RotorHarness(dir, Map.of(
                    "upstream.fake.type", "openai",
                    "upstream.fake.baseUrl", upstream.baseUrl(),
                    "upstream.fake.models", "*"));
            String userKey;
            try (harness) {
                harness.start();
                harness.addApiKeyAccount("fake", "sk-p", "p");
                userKey = harness.addUser("proc");
            }

            Path readyMark = harness.configFile.resolveSibling("rotor-serve.aot.ok");
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                    "-Drotor.home=" + System.getProperty("rotor.home"),
                    "-D" + ServeCommand.AOT_READY_FILE + "=" + readyMark,
                    "-cp", System.getProperty("java.class.path"),
                    Main.class.getName(), "serve", "--config", harness.configFile.toString()));
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            try {
                BufferedReader output = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8));
                Pattern ready = Pattern.compile("Rotor is ready on (http://\\S+)");
                String baseUrl = null;
                for (String line = output.readLine(); line != null; line = output.readLine()) {
                    Matcher matcher = ready.matcher(line);
                    if (matcher.find()) {
                        baseUrl = matcher.group(1);
                        break;
                    }
                }
                assertTrue(baseUrl != null, "server did not report ready");
                // What bin/rotor waits for before it keeps a recorded start-up cache.
                assertTrue(Files.exists(readyMark), "no ready mark at " + readyMark);
                HttpClient client = HttpClient.newHttpClient();
                for (int i = 0; i < 4; i++) {
                    HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(baseUrl
                            + "/v1/chat/completions")).header("Authorization", "Bearer " + userKey)
                            .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"messages\":[]}")).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertEquals(200, response.statusCode(), response.body());
                }
                process.destroy(); // SIGTERM
                assertTrue(process.waitFor(30, TimeUnit.SECONDS), "server did not stop on SIGTERM");
            } finally {
                process.destroyForcibly();
            }
            JsonNode stored = RotorHarness.json(Files.readString(harness.storeFile()));
            assertEquals(4, stored.at("/accounts/0/stats/totalRequests").asInt());
            assertEquals(4, stored.at("/accounts/0/stats/successfulRequests").asInt());
        }
    }
}
