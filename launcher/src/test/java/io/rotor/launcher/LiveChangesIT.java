package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.rotor.api.PoolUpdate;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI changes the store while {@code serve} runs on it: the running server uses each change
 * within 2 seconds, without a restart, and neither side loses the other's writes.
 */
class LiveChangesIT {

    /** DESIGN §3 and the issue: a CLI change is in use by a running server within this time. */
    private static final long PICKUP_MS = 2_000;

    @TempDir
    Path dir;
    private FakeOpenAi upstream;
    private RotorHarness server;

    @BeforeEach
    void start() throws Exception {
        upstream = new FakeOpenAi();
        server = new RotorHarness(dir, Map.of(
                "upstream.fake.type", "openai",
                "upstream.fake.baseUrl", upstream.baseUrl(),
                "upstream.fake.models", "*",
                "rateLimit.perAccount", "0")).start();
    }

    @AfterEach
    void stop() {
        server.close();
        upstream.close();
    }

    private Cli.Result rotor(String stdin, String... args) {
        Cli.Result result = Cli.run(server.configFile, stdin, args);
        assertEquals(0, result.exitCode(), result.toString());
        return result;
    }

    /** Polls until {@code condition} holds; fails if that takes longer than {@link #PICKUP_MS}. */
    private static void pickedUpWithin2Seconds(String what, BooleanSupplier condition) throws InterruptedException {
        long start = System.nanoTime();
        while (!condition.getAsBoolean()) {
            if ((System.nanoTime() - start) / 1_000_000 > PICKUP_MS) {
                fail("the running server did not pick up " + what + " within " + PICKUP_MS + " ms");
            }
            Thread.sleep(25);
        }
    }

    private JsonNode adminAccount(String id) {
        HttpResponse<String> response = server.get("/admin/accounts/" + id, RotorHarness.MASTER_KEY);
        return response.statusCode() == 200 ? RotorHarness.json(response.body()) : null;
    }

    /**
     * Waits until the server has written its statistics for {@code requests} requests, so that it has no
     * background write pending when the next CLI command writes (both sides lock the store file, and two
     * Felix instances in one JVM cannot share that lock the way two processes do).
     */
    private void awaitFlushed(String accountId, long requests) throws Exception {
        long deadline = System.currentTimeMillis() + 5_000;
        while (System.currentTimeMillis() < deadline) {
            for (JsonNode account : RotorHarness.json(Files.readString(server.storeFile())).get("accounts")) {
                if (account.get("id").asText().equals(accountId)
                        && account.at("/stats/totalRequests").asLong() >= requests) {
                    return;
                }
            }
            Thread.sleep(50);
        }
        fail("statistics were not flushed");
    }

    private String addAccount(String key) throws Exception {
        upstream.key(key, FakeOpenAi.KeyRule.unlimited());
        Matcher id = Pattern.compile("Added account (acc_\\S+) ").matcher(
                rotor(key + "\n", "accounts", "add", "--upstream", "fake", "--api-key-stdin").out());
        assertTrue(id.find());
        return id.group(1);
    }

    @Test
    void anAccountAddedByTheCliServesRequestsWithinTwoSeconds() throws Exception {
        String user = server.addUser("live");
        assertNotEquals(200, server.chat(user, "m", false).statusCode(), "no account yet");

        String id = addAccount("sk-live-add");
        pickedUpWithin2Seconds("the new account", () -> {
            HttpResponse<String> response = server.chat(user, "m", false);
            return response.statusCode() == 200 && id.equals(response.headers().firstValue("X-Rotor-Account")
                    .orElse(null));
        });
    }

    @Test
    void aStatusChangedByTheCliIsUsedWithinTwoSecondsAndKeepsTheServersStatistics() throws Exception {
        String user = server.addUser("live");
        String id = addAccount("sk-live-status");
        pickedUpWithin2Seconds("the new account", () -> adminAccount(id) != null);
        AtomicInteger served = new AtomicInteger();
        for (int i = 0; i < 3; i++) {
            assertEquals(200, server.chat(user, "m", false).statusCode());
            served.incrementAndGet();
        }
        awaitFlushed(id, served.get());

        rotor("", "accounts", "update", id, "--status", "inactive", "--name", "renamed");
        pickedUpWithin2Seconds("the inactive status", () -> {
            HttpResponse<String> response = server.chat(user, "m", false);
            if (response.statusCode() == 200) {
                served.incrementAndGet(); // the server had not reloaded yet
            }
            return response.statusCode() == 429 && response.body().contains("NO_AVAILABLE_ACCOUNTS");
        });
        JsonNode account = adminAccount(id);
        assertEquals("inactive", account.get("status").asText());
        assertEquals("renamed", account.get("name").asText());
        assertEquals(served.get(), account.at("/stats/totalRequests").asLong(),
                "the server's counters survived the CLI's write");
        awaitFlushed(id, served.get());

        rotor("", "accounts", "update", id, "--status", "active");
        pickedUpWithin2Seconds("the active status", () -> server.chat(user, "m", false).statusCode() == 200);
        awaitFlushed(id, served.incrementAndGet());
        JsonNode stored = RotorHarness.json(Files.readString(server.storeFile())).at("/accounts/0");
        assertEquals("renamed", stored.at("/metadata/name").asText(), "the CLI's write survived the server's flush");
        assertEquals("active", stored.get("status").asText());
    }

    @Test
    void aUserRemovedByTheCliIsRefusedWithinTwoSeconds() throws Exception {
        String id = addAccount("sk-live-user");
        Cli.Result added = rotor("", "users", "add", "doomed");
        Matcher matcher = Pattern.compile("\\((usr_\\S+)\\).*\\n.*: (rk-\\S+)").matcher(added.out());
        assertTrue(matcher.find(), added.out());
        String userId = matcher.group(1);
        String key = matcher.group(2);
        pickedUpWithin2Seconds("the new user", () -> server.chat(key, "m", false).statusCode() == 200);
        awaitFlushed(id, 1);

        rotor("", "users", "remove", userId);
        pickedUpWithin2Seconds("the removed user", () -> server.chat(key, "m", false).statusCode() == 401);
    }

    @Test
    void aResetByTheCliEndsTheServersCooldownsWithinTwoSeconds() throws Exception {
        server.admin().updatePool("default", new PoolUpdate(null, 1, null, 600_000L, null));
        String user = server.addUser("live");
        String id = addAccount("sk-live-reset");
        pickedUpWithin2Seconds("the new account", () -> server.chat(user, "m", false).statusCode() == 200);
        assertEquals(429, server.chat(user, "m", false).statusCode(), "cooling down for 10 minutes");
        awaitFlushed(id, 1);

        rotor("", "accounts", "reset");
        pickedUpWithin2Seconds("the reset", () -> server.chat(user, "m", false).statusCode() == 200);
    }
}
