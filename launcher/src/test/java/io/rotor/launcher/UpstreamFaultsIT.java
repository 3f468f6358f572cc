package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.management.HotSpotDiagnosticMXBean;
import io.rotor.api.Account;
import io.rotor.api.AccountStatus;
import io.rotor.api.NewAccount;
import io.rotor.launcher.FaultyOpenAi.Fault;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upstream faults end to end, through Felix with the real bundles and the real upstream client, against a
 * raw-socket fake OpenAI: silence before the first byte and in the middle of a stream (the read timeout),
 * a stream cut after some chunks, 400/413/401, errors before the first byte, and a client that hangs up
 * in the middle of a stream from a silent upstream.
 */
@Timeout(120)
class UpstreamFaultsIT {

    private static final String STREAM_BODY = "{\"model\":\"fake-model\",\"stream\":true,\"messages\":[{\"role\":\"user\","
            + "\"content\":\"hi\"}]}";

    @TempDir
    Path dir;
    private FaultyOpenAi upstream;
    private RotorHarness rotor;
    private String user;

    @BeforeEach
    void startUpstream() throws IOException {
        upstream = new FaultyOpenAi();
    }

    @AfterEach
    void stopAll() throws IOException {
        if (rotor != null) {
            rotor.close();
        }
        upstream.close();
    }

    private void rotor(long readTimeoutMs) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("upstream.fake.type", "openai");
        settings.put("upstream.fake.baseUrl", upstream.baseUrl());
        settings.put("upstream.fake.models", "fake-model");
        settings.put("upstream.readTimeoutMs", String.valueOf(readTimeoutMs));
        settings.put("rotation.strategy", "priority");
        settings.put("rateLimit.perAccount", "0");
        settings.put("retry.max", "4");
        settings.put("retry.backoffMs", "0");
        rotor = new RotorHarness(dir, settings).start();
        user = rotor.addUser("alice");
    }

    /** An account for {@code key}, tried in the order of {@code priority}. */
    private String account(String key, int priority, Fault fault, int maxConcurrent) {
        upstream.fault(key, fault);
        return rotor.admin().addAccount(new NewAccount("fake", null, key, null, Map.of(Account.SECRET_API_KEY, key),
                priority, null, null, maxConcurrent, false)).id();
    }

    @Test
    void anUpstreamSilentBeforeItsFirstByteIsRetriedOnAnotherAccountAnd504WhenEveryAccountIs() {
        rotor(1_000);
        account("sk-silent", 1, Fault.SILENT, 0);
        String fine = account("sk-fine", 2, Fault.OK, 0);

        long start = System.nanoTime();
        HttpResponse<String> served = rotor.chat(user, "fake-model", false);
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals(200, served.statusCode(), served.body());
        assertEquals(fine, served.headers().firstValue("X-Rotor-Account").orElseThrow());
        assertEquals(1, upstream.received("sk-silent"));
        assertTrue(tookMs >= 1_000, "the silent upstream had its read timeout: " + tookMs + " ms");

        upstream.fault("sk-fine", Fault.SILENT);
        HttpResponse<String> timedOut = rotor.chat(user, "fake-model", false);
        assertEquals(504, timedOut.statusCode(), timedOut.body());
        assertEquals("upstream_timeout", RotorHarness.json(timedOut.body()).at("/error/code").asText());
        assertEquals(2, upstream.received("sk-silent"));
        assertEquals(2, upstream.received("sk-fine"));
    }

    @Test
    void anUpstreamSilentInTheMiddleOfAStreamEndsItWithAnErrorEventAndNoDone() throws Exception {
        rotor(1_000);
        account("sk-stalls", 1, Fault.SILENT_MID_STREAM, 0);
        account("sk-spare", 2, Fault.OK, 0);

        HttpResponse<String> response = rotor.chat(user, "fake-model", true);

        assertChunksThenOneErrorEventAndNoDone(response);
        assertTrue(upstream.awaitHangUp(5_000) > 0, "Rotor closed the stalled upstream connection");
        assertEquals(0, upstream.received("sk-spare"), "a stream that has begun is never replayed");
    }

    @Test
    void aStreamCutAfterSomeChunksGivesThoseChunksThenAnErrorEventAndIsNotReplayed() {
        rotor(60_000);
        account("sk-cut", 1, Fault.CUT_STREAM, 0);
        account("sk-spare", 2, Fault.OK, 0);

        HttpResponse<String> response = rotor.chat(user, "fake-model", true);

        assertChunksThenOneErrorEventAndNoDone(response);
        assertEquals(1, upstream.received("sk-cut"));
        assertEquals(0, upstream.received("sk-spare"), "nothing is replayed");
    }

    @Test
    void upstream400And413ArePassedBackUnchangedAndNotRetriedWhile401MarksTheAccountInvalid() {
        rotor(60_000);
        String first = account("sk-first", 1, Fault.BAD_REQUEST, 0);
        account("sk-second", 2, Fault.OK, 0);

        HttpResponse<String> badRequest = rotor.chat(user, "fake-model", false);
        assertEquals(400, badRequest.statusCode());
        assertEquals("invalid_value", RotorHarness.json(badRequest.body()).at("/error/code").asText());
        assertEquals(first, badRequest.headers().firstValue("X-Rotor-Account").orElseThrow());

        upstream.fault("sk-first", Fault.TOO_LARGE);
        HttpResponse<String> tooLarge = rotor.chat(user, "fake-model", false);
        assertEquals(413, tooLarge.statusCode());
        assertEquals("request_too_large", RotorHarness.json(tooLarge.body()).at("/error/code").asText());
        assertEquals(2, upstream.received("sk-first"));
        assertEquals(0, upstream.received("sk-second"), "400 and 413 are not retried");

        upstream.fault("sk-first", Fault.UNAUTHORIZED);
        HttpResponse<String> served = rotor.chat(user, "fake-model", false);
        assertEquals(200, served.statusCode(), served.body());
        assertEquals(AccountStatus.INVALID, rotor.admin().account(first).status());
        rotor.chat(user, "fake-model", false);
        assertEquals(3, upstream.received("sk-first"), "an invalid account is not tried again");
    }

    @Test
    void errorsBeforeTheFirstByteAreRetriedOnTheNextAccountOnceEach() {
        rotor(60_000);
        account("sk-reset", 1, Fault.RESET, 0);
        account("sk-500", 2, Fault.SERVER_ERROR, 0);
        account("sk-502", 3, Fault.BAD_GATEWAY, 0);
        account("sk-503", 4, Fault.UNAVAILABLE, 0);
        String fine = account("sk-fine", 5, Fault.OK, 0);

        HttpResponse<String> served = rotor.chat(user, "fake-model", true);

        assertEquals(200, served.statusCode(), served.body());
        assertEquals(fine, served.headers().firstValue("X-Rotor-Account").orElseThrow());
        assertTrue(served.body().endsWith("data: [DONE]\n\n"), served.body());
        for (String key : List.of("sk-reset", "sk-500", "sk-502", "sk-503", "sk-fine")) {
            assertEquals(1, upstream.received(key), key);
        }
    }

    /**
     * The client hangs up in the middle of a stream whose upstream has gone silent (the read timeout is a
     * minute away): Rotor closes the upstream connection within a second, and after five such hang-ups no
     * request, stream, thread or upstream connection is left, and the account (one request at a time)
     * serves again.
     */
    @Test
    void aClientHangingUpMidStreamCancelsTheUpstreamCallWithinASecondAndLeaksNothing() throws Exception {
        rotor(60_000);
        String only = account("sk-slow", 1, Fault.SILENT_MID_STREAM, 1);
        int before = threadsRunning("io.rotor.transport.http.internal.ApiHandler");
        long slowestMs = 0;
        for (int i = 0; i < 5; i++) {
            Socket client = new Socket("127.0.0.1", URI.create(rotor.baseUrl()).getPort());
            client.setSoTimeout(10_000);
            client.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: rotor\r\nAuthorization: Bearer "
                    + user + "\r\nContent-Type: application/json\r\nContent-Length: " + STREAM_BODY.length() + "\r\n\r\n"
                    + STREAM_BODY).getBytes(StandardCharsets.UTF_8));
            readUntil(client.getInputStream(), "\"lo\"");
            assertEquals(1, upstream.held());
            long hangUp = System.nanoTime();
            client.close();
            long upstreamClosed = upstream.awaitHangUp(10_000);
            assertTrue(upstreamClosed > 0, "the upstream connection was closed");
            long tookMs = (upstreamClosed - hangUp) / 1_000_000;
            assertTrue(tookMs < 1_000, "the upstream connection ended " + tookMs + " ms after the client hung up");
            slowestMs = Math.max(slowestMs, tookMs);
            // The relaying thread releases the account just after it has closed the upstream connection.
            awaitMetric("rotor_streams_open", 0);
        }
        System.out.println("UpstreamFaultsIT: upstream connection closed at most " + slowestMs
                + " ms after the client hung up (5 hang-ups)");
        assertEquals(5, upstream.received("sk-slow"));
        awaitMetric("rotor_requests_in_flight", 0);
        assertEquals(0, upstream.held());
        assertEquals(0, upstream.openConnections(), "no upstream connection is left open");
        // The metrics drop as a handler finishes its response, a moment before its thread has unwound.
        awaitThreads("io.rotor.transport.http.internal.ApiHandler", before, "no handler thread is left");
        awaitThreads("okhttp3.internal.http1", 0, "no thread is left reading an upstream");

        upstream.fault("sk-slow", Fault.OK);
        HttpResponse<String> again = rotor.chat(user, "fake-model", false);
        assertEquals(200, again.statusCode(), "the account (maxConcurrent 1) was released: " + again.body());
        assertEquals(only, again.headers().firstValue("X-Rotor-Account").orElseThrow());
    }

    /** The chunks the upstream sent, then exactly one error event, and no {@code [DONE]}. */
    private static void assertChunksThenOneErrorEventAndNoDone(HttpResponse<String> response) {
        assertEquals(200, response.statusCode());
        String body = response.body();
        String afterChunks = body.substring((FaultyOpenAi.FIRST_CHUNK + FaultyOpenAi.SECOND_CHUNK).length());
        assertTrue(body.startsWith(FaultyOpenAi.FIRST_CHUNK + FaultyOpenAi.SECOND_CHUNK), body);
        assertTrue(afterChunks.startsWith("data: ") && afterChunks.endsWith("\n\n")
                && afterChunks.indexOf("data: ", 1) < 0, body);
        JsonNode error = RotorHarness.json(afterChunks.substring(6)).get("error");
        assertEquals("upstream_error", error.get("code").asText());
        assertFalse(body.contains("[DONE]"), body);
    }

    private void awaitMetric(String name, double expected) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        double value = Double.NaN;
        while (System.nanoTime() < deadline) {
            value = metric(name);
            if (value == expected) {
                return;
            }
            Thread.sleep(20);
        }
        assertEquals(expected, value, name);
    }

    /** Waits up to 5 s for the number of threads in {@code classPrefix} to be {@code expected}: a leak stays. */
    private void awaitThreads(String classPrefix, int expected, String message) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        int running = threadsRunning(classPrefix);
        while (running != expected && System.nanoTime() < deadline) {
            Thread.sleep(50);
            running = threadsRunning(classPrefix);
        }
        assertEquals(expected, running, message);
    }

    private double metric(String name) {
        for (String line : rotor.get("/metrics", null).body().split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no metric " + name);
    }

    /** Threads, virtual ones included (a JDK thread dump), whose stack holds a frame of {@code classPrefix}. */
    private int threadsRunning(String classPrefix) throws IOException {
        Path dump = dir.resolve("threads-" + System.nanoTime() + ".json");
        ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                .dumpThreads(dump.toString(), HotSpotDiagnosticMXBean.ThreadDumpFormat.JSON);
        int count = 0;
        for (JsonNode container : RotorHarness.json(Files.readString(dump)).at("/threadDump/threadContainers")) {
            for (JsonNode thread : container.path("threads")) {
                for (JsonNode frame : thread.path("stack")) {
                    if (frame.asText().startsWith(classPrefix)) {
                        count++;
                        break;
                    }
                }
            }
        }
        return count;
    }

    private static void readUntil(InputStream in, String marker) throws IOException {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            seen.write(b);
            if (seen.toString(StandardCharsets.UTF_8).endsWith(marker)) {
                return;
            }
        }
        throw new IOException("the stream ended before " + marker + ": " + seen);
    }
}
