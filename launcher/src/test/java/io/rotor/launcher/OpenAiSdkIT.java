package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rotor.api.Account;
import io.rotor.api.NewAccount;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rotor driven by the official OpenAI Node SDK ({@code openai} on npm, pinned in
 * {@code src/test/resources/openai-sdk/package.json}), as a developer who points the SDK's {@code baseURL}
 * at Rotor would: the real bundles, real loopback HTTP, {@link FakeOpenAi} and {@link FaultyOpenAi} as
 * upstreams. The SDK is installed once into {@code target/openai-sdk} and reused by later runs. The script
 * ({@code sdk-check.mjs}) runs once and records what the SDK returned or threw; each test asserts one part.
 * It needs Node.js 20+, npm and the npm registry. Where those are missing the tests are skipped, saying
 * why, so that {@code mvn verify} needs no more than a JDK and Maven; with {@value #REQUIRED} set to
 * {@code true} in the environment (as {@code .ci/run} does) they fail instead.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenAiSdkIT {

    /** The environment variable that makes a missing Node.js, npm or registry a failure instead of a skip. */
    static final String REQUIRED = "ROTOR_SDK_TEST_REQUIRED";
    private static final String SDK_RESOURCES = "/openai-sdk/";
    private static final List<String> SDK_FILES = List.of("package.json", "package-lock.json", "sdk-check.mjs");
    private static final String INSTALL_STAMP = "node_modules/.rotor-install-stamp";
    private static final int MIN_NODE_MAJOR = 20;
    private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(40);
    /** How long the SDK gets to hand over the first chunk while the upstream holds back the rest. */
    private static final Duration FIRST_CHUNK_TIMEOUT = Duration.ofSeconds(5);
    private static final String EOF = "\u0000eof";

    private static final String MODEL = "fake-model";
    private static final String EMBEDDING_MODEL = "fake-embed";
    private static final String CUT_MODEL = "faulty-model";
    private static final String WRONG_KEY = "rk-wrong-key-0123456789";
    private static final String REQUEST_ID = "sdk-check.request-1";
    private static final String GEMINI_MODEL = "gemini-2.5-flash";
    private static final String GEMINI_POOL = "gemini";
    private static final String GEMINI_PROJECT = "proj-sdk";
    /** The text parts FakeGoogle streams for a plain greeting (its thought part is reasoning, not content). */
    private static final String GEMINI_CONTENT = "Hello from " + GEMINI_PROJECT;
    private static final String UUID = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";

    // Static: @BeforeAll sets everything up, and an instance @TempDir is not injected by then.
    @TempDir
    static Path dir;
    private FakeOpenAi upstream;
    private FaultyOpenAi faulty;
    private FakeGoogle google;
    private RotorHarness rotor;
    private final Map<String, String> accountByKey = new HashMap<>();
    private JsonNode result;
    /** Whether the SDK yielded the first chunk while the upstream was still holding back the rest. */
    private boolean firstChunkWhileHeld;

    @BeforeAll
    void runTheSdkAgainstRotor() throws Exception {
        Path sdk = installSdk();
        upstream = new FakeOpenAi();
        faulty = new FaultyOpenAi();
        google = new FakeGoogle();
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("upstream.fake.type", "openai");
        settings.put("upstream.fake.baseUrl", upstream.baseUrl());
        settings.put("upstream.fake.models", MODEL + "," + EMBEDDING_MODEL);
        settings.put("upstream.faulty.type", "openai");
        settings.put("upstream.faulty.baseUrl", faulty.baseUrl());
        settings.put("upstream.faulty.models", CUT_MODEL);
        // The gemini-code-assist plugin (from the distribution's plugins folder) against a fake Google.
        settings.put("upstream.gemini-code-assist.baseUrl", google.baseUrl());
        settings.put("upstream.gemini-code-assist.tokenUrl", google.tokenUrl());
        settings.put("rateLimit.perAccount", "0");
        settings.put("rateLimit.cooldownMs", "1000");
        rotor = new RotorHarness(dir, settings).start();

        for (String key : List.of("sk-a", "sk-b")) {
            upstream.key(key, FakeOpenAi.KeyRule.unlimited());
            accountByKey.put(key, rotor.addApiKeyAccount("fake", key, key).id());
        }
        // Pool "limited": the upstream answers every request 429 with Retry-After: 30.
        for (String key : List.of("sk-x", "sk-y")) {
            upstream.key(key, new FakeOpenAi.KeyRule(0, "30", 200));
            accountByKey.put(key, addAccount("fake", "limited", key));
        }
        // Pool "cut": the upstream streams two chunks, then drops the connection.
        faulty.fault("sk-cut", FaultyOpenAi.Fault.CUT_STREAM);
        accountByKey.put("sk-cut", addAccount("faulty", "cut", "sk-cut"));
        // Pool "gemini": one Code Assist credential, kept out of the default pool so its models stay the fake's.
        google.credential("r-sdk", new FakeGoogle.Credential(GEMINI_PROJECT, 100));
        rotor.admin().addAccount(new NewAccount("gemini-code-assist", GEMINI_POOL, "gemini-sdk", null,
                Map.of(Account.SECRET_CREDENTIAL, FakeGoogle.oauthCreds("r-sdk")), null, null, null, null, false));

        ObjectNode config = RotorHarness.JSON.createObjectNode()
                .put("baseURL", rotor.baseUrl() + "/v1")
                .put("timeoutMs", 15_000)
                .put("model", MODEL)
                .put("embeddingModel", EMBEDDING_MODEL)
                .put("cutModel", CUT_MODEL)
                .put("requestId", REQUEST_ID)
                .put("userKey", rotor.addUser("dev"))
                .put("limitedKey", rotor.admin().addUser("limited", "limited").apiKey())
                .put("cutKey", rotor.admin().addUser("cutter", "cut").apiKey())
                .put("geminiModel", GEMINI_MODEL)
                .put("geminiKey", rotor.admin().addUser("gem", GEMINI_POOL).apiKey())
                .put("wrongKey", WRONG_KEY);
        result = runScript(sdk, config, upstream.holdStreams());
    }

    @AfterAll
    void stopAll() throws IOException {
        if (rotor != null) {
            rotor.close();
        }
        if (upstream != null) {
            upstream.close();
        }
        if (faulty != null) {
            faulty.close();
        }
        if (google != null) {
            google.close();
        }
    }

    @Test
    void theScriptRanThePinnedSdkVersion() throws IOException {
        JsonNode pinned = RotorHarness.json(resource("package.json")).at("/dependencies/openai");
        assertEquals(pinned.asText(), result.path("sdkVersion").asText(), result.toString());
    }

    @Test
    void chatCompletionsCreateReturnsTheUpstreamsCompletionUnchanged() {
        JsonNode chat = succeeded("chat");
        assertEquals(200, chat.path("status").asInt());
        assertEquals("hello", chat.path("content").asText());
        assertEquals("chatcmpl-1", chat.path("id").asText());
        JsonNode body = chat.path("body");
        String servedBy = body.path("served_by").asText();
        // FakeOpenAi's completion, field for field: FakeOpenAi sends no "usage", so the SDK must see none.
        String expected = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":0,\"model\":\"fake-model\","
                + "\"served_by\":\"" + servedBy + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                + "\"content\":\"hello\"},\"finish_reason\":\"stop\"}]}";
        assertEquals(RotorHarness.json(expected), body);
        assertTrue(chat.path("usage").isNull(), chat.toString());
        assertEquals(accountByKey.get(servedBy), chat.at("/headers/x-rotor-account").asText(),
                "X-Rotor-Account names the account whose key served it: " + chat);
    }

    @Test
    void streamedChatCompletionYieldsEveryChunkInOrderAsItArrivesAndEndsCleanly() {
        JsonNode stream = succeeded("stream");
        assertEquals(200, stream.path("status").asInt());
        assertTrue(stream.at("/headers/content-type").asText().startsWith("text/event-stream"), stream.toString());
        assertEquals(List.of("Hel", "lo"), texts(stream.path("contents")), "every chunk, in order, nothing after [DONE]");
        assertEquals(List.of("chat.completion.chunk", "chat.completion.chunk"), texts(stream.path("objects")));
        assertTrue(firstChunkWhileHeld, "the SDK yielded the first chunk while the upstream still held back the rest");
        String account = stream.at("/headers/x-rotor-account").asText();
        assertTrue(account.equals(accountByKey.get("sk-a")) || account.equals(accountByKey.get("sk-b")),
                stream.toString());
    }

    @Test
    void modelsListIteratesTheModelsOfTheUsersPool() {
        JsonNode models = succeeded("models");
        assertEquals(List.of(MODEL, EMBEDDING_MODEL), texts(models.path("ids")));
        assertEquals(List.of("model", "model"), texts(models.path("objects")));
    }

    @Test
    void embeddingsCreateReturnsTheUpstreamsEmbedding() {
        JsonNode embeddings = succeeded("embeddings");
        JsonNode body = embeddings.path("body");
        assertEquals("list", body.path("object").asText());
        assertEquals(EMBEDDING_MODEL, body.path("model").asText());
        assertEquals(0.1, body.at("/data/0/embedding/0").asDouble(-1));
        assertEquals(0.2, body.at("/data/0/embedding/1").asDouble(-1));
        assertEquals(2, body.at("/data/0/embedding").size());
        assertEquals(accountByKey.get(body.path("served_by").asText()), embeddings.at("/headers/x-rotor-account")
                .asText(), embeddings.toString());
    }

    @Test
    void embeddingsInTheSdksDefaultBase64FormatReachItAndItDecodesThem() {
        JsonNode embedding = succeeded("embeddingsDefault").path("embedding");
        assertEquals(2, embedding.size(), embedding.toString());
        // float32 on the wire: 0.1f and 0.2f, not the doubles 0.1 and 0.2.
        assertEquals(0.1f, embedding.get(0).floatValue(), embedding.toString());
        assertEquals(0.2f, embedding.get(1).floatValue(), embedding.toString());
    }

    @Test
    void aWrongApiKeyRaisesAuthenticationErrorWithTheContractsError() {
        JsonNode error = thrown("wrongKey");
        assertTrue(error.at("/instanceOf/AuthenticationError").asBoolean(), error.toString());
        assertEquals(401, error.path("status").asInt());
        assertEquals("invalid_api_key", error.path("code").asText());
        assertEquals("authentication_error", error.path("type").asText());
        assertEquals("invalid_api_key", error.at("/error/code").asText());
        assertEquals("Incorrect API key provided.", error.at("/error/message").asText());
        assertEquals("401 Incorrect API key provided.", error.path("message").asText());
        assertTrue(error.path("paramPresent").asBoolean(), "the error object has \"param\": " + error);
        assertFalse(error.toString().contains(WRONG_KEY), "the presented key is never echoed: " + error);
    }

    @Test
    void anUnknownModelRaisesBadRequestErrorWithModelNotFound() {
        JsonNode error = thrown("unknownModel");
        assertTrue(error.at("/instanceOf/BadRequestError").asBoolean(), error.toString());
        assertEquals(400, error.path("status").asInt());
        assertEquals("model_not_found", error.path("code").asText());
        assertEquals("invalid_request_error", error.path("type").asText());
    }

    @Test
    void everyAttemptRateLimitedUpstreamRaisesRateLimitErrorWithRetryAfter() {
        JsonNode error = thrown("rateLimited");
        assertRateLimitError(error, "RATE_LIMIT_EXCEEDED");
        long retryAfterMs = error.at("/error/retry_after_ms").asLong();
        // The upstream said Retry-After: 30, so both accounts cool down for about 30 s.
        assertTrue(retryAfterMs > 25_000 && retryAfterMs <= 30_000, error.toString());
    }

    @Test
    void everyAccountCoolingRaisesRateLimitErrorNoAvailableAccountsWithoutCallingUpstream() {
        JsonNode error = thrown("noAvailableAccounts");
        assertRateLimitError(error, "NO_AVAILABLE_ACCOUNTS");
        long retryAfterMs = error.at("/error/retry_after_ms").asLong();
        assertTrue(retryAfterMs > 20_000 && retryAfterMs <= 30_000, error.toString());
        assertEquals(1, upstream.received("sk-x"), "only the first request reached the upstream with sk-x");
        assertEquals(1, upstream.received("sk-y"), "only the first request reached the upstream with sk-y");
    }

    private static void assertRateLimitError(JsonNode error, String code) {
        assertTrue(error.at("/instanceOf/RateLimitError").asBoolean(), error.toString());
        assertEquals(429, error.path("status").asInt(), error.toString());
        assertEquals(code, error.path("code").asText(), error.toString());
        assertEquals("rate_limit_error", error.path("type").asText());
        assertTrue(error.path("paramPresent").asBoolean(), error.toString());
        assertTrue(error.at("/error/retry_after_ms").canConvertToLong(), error.toString());
        long retryAfterMs = error.at("/error/retry_after_ms").asLong();
        JsonNode header = error.at("/headers/retry-after");
        assertTrue(header.isTextual(), "Retry-After reaches the SDK: " + error);
        assertEquals((retryAfterMs + 999) / 1000, Long.parseLong(header.asText()), "Retry-After is retry_after_ms"
                + " in whole seconds, rounded up: " + error);
        assertTrue(error.path("requestID").asText().matches(UUID), "err.requestID: " + error);
    }

    @Test
    void responseHeadersAndRequestIdsAreVisibleToTheSdk() {
        JsonNode chat = succeeded("chat");
        String requestId = chat.at("/headers/x-request-id").asText();
        assertTrue(requestId.matches(UUID), chat.toString());
        assertEquals(requestId, chat.path("requestIdProperty").asText(), "completion._request_id");
        assertEquals(requestId, chat.path("requestIdFromWithResponse").asText(), "withResponse().request_id");
        assertTrue(accountByKey.containsValue(chat.at("/headers/x-rotor-account").asText()),
                "X-Rotor-Account reaches the SDK: " + chat);
        assertEquals(REQUEST_ID, succeeded("requestIdEcho").path("requestIdProperty").asText(),
                "an X-Request-Id the client sends comes back");
        assertTrue(thrown("wrongKey").path("requestID").asText().matches(UUID), "err.requestID on a 401");
    }

    @Test
    void aStreamCutMidwayRaisesAnApiErrorAfterTheChunksThatArrived() {
        JsonNode cut = succeeded("streamCut");
        assertEquals(List.of("Hel", "lo"), texts(cut.path("contents")));
        JsonNode error = cut.path("thrown");
        assertTrue(error.at("/instanceOf/APIError").asBoolean(), "the SDK raises the error event: " + cut);
        assertEquals("upstream_error", error.path("code").asText(), cut.toString());
        assertEquals("upstream_error", error.path("type").asText(), cut.toString());
        assertEquals(1, faulty.received("sk-cut"), "a stream that has begun is never replayed");
    }

    @Test
    void theStreamHelpersFinalCompletionOfAGeminiStreamIsWhatGoogleStreamed() {
        JsonNode helper = succeeded("geminiStreamHelper");
        assertEquals(GEMINI_CONTENT, joined(helper.path("contents")), "the chunks' text, in order: " + helper);
        assertEquals(GEMINI_CONTENT, helper.path("content").asText(), "finalChatCompletion(): " + helper);
        assertEquals("assistant", helper.path("role").asText(), helper.toString());
        // The plugin maps Gemini's STOP to OpenAI's "stop" (ChatResponses.finishReason).
        assertEquals("stop", helper.path("finishReason").asText(), helper.toString());
        assertEquals(0, helper.path("index").asInt(-1), helper.toString());
        assertEquals(1, helper.path("choiceCount").asInt(), helper.toString());
        assertEquals("chat.completion", helper.path("object").asText(), helper.toString());
        assertEquals(GEMINI_MODEL, helper.path("model").asText(), helper.toString());
        assertEquals("assistant", helper.at("/roles/0").asText(), "the first chunk carries the role: " + helper);
        assertOneFinishReasonOnTheLastChunk(helper);
    }

    @Test
    void aCreatedGeminiStreamYieldsGooglesTextThenStopThenUsage() {
        JsonNode stream = succeeded("geminiStream");
        assertEquals(GEMINI_CONTENT, joined(stream.path("contents")), stream.toString());
        assertEquals("assistant", stream.at("/roles/0").asText(), stream.toString());
        assertOneFinishReasonOnTheLastChunk(stream);
        stream.path("objects").forEach(object -> assertEquals("chat.completion.chunk", object.asText()));
        assertUsage(stream.path("usage"));
    }

    @Test
    void aNonStreamedGeminiChatCompletionCarriesTheContentAndUsage() {
        JsonNode chat = succeeded("geminiChat");
        assertEquals(GEMINI_CONTENT, chat.path("content").asText(), chat.toString());
        assertEquals("assistant", chat.path("role").asText(), chat.toString());
        assertEquals("stop", chat.path("finishReason").asText(), chat.toString());
        assertEquals("chat.completion", chat.path("object").asText(), chat.toString());
        assertUsage(chat.path("usage"));
    }

    /** FakeGoogle's usageMetadata (8 prompt, 4 candidates, 3 thoughts, 15 in all) as OpenAI's usage. */
    private static void assertUsage(JsonNode usage) {
        assertEquals(8, usage.path("prompt_tokens").asInt(-1), usage.toString());
        assertEquals(7, usage.path("completion_tokens").asInt(-1), "candidates and thoughts: " + usage);
        assertEquals(15, usage.path("total_tokens").asInt(-1), usage.toString());
        assertEquals(3, usage.at("/completion_tokens_details/reasoning_tokens").asInt(-1), usage.toString());
    }

    private static void assertOneFinishReasonOnTheLastChunk(JsonNode check) {
        List<String> reasons = texts(check.path("finishReasons"));
        assertFalse(reasons.isEmpty(), check.toString());
        assertEquals("stop", reasons.get(reasons.size() - 1), check.toString());
        assertEquals(1, reasons.stream().filter(reason -> reason != null).count(), "one finish_reason: " + check);
    }

    private static String joined(JsonNode contents) {
        StringBuilder text = new StringBuilder();
        contents.forEach(node -> text.append(node.isNull() ? "" : node.asText()));
        return text.toString();
    }

    private String addAccount(String upstreamName, String pool, String key) {
        return rotor.admin().addAccount(new NewAccount(upstreamName, pool, key, null,
                Map.of(Account.SECRET_API_KEY, key), null, null, null, null, false)).id();
    }

    /** The record of a check the SDK was expected to pass. */
    private JsonNode succeeded(String check) {
        JsonNode node = result.path(check);
        assertTrue(node.path("ok").asBoolean(), () -> check + ": the SDK threw " + node.path("error"));
        return node;
    }

    /** What the SDK threw in a check that was expected to throw. */
    private JsonNode thrown(String check) {
        JsonNode node = result.path(check);
        assertFalse(node.path("ok").asBoolean(true), () -> check + ": expected the SDK to throw, it returned " + node);
        return node.path("error");
    }

    private static List<String> texts(JsonNode array) {
        List<String> texts = new ArrayList<>();
        array.forEach(node -> texts.add(node.isNull() ? null : node.asText()));
        return texts;
    }

    /**
     * Runs the script and collects its result. While it runs, releases the upstream's held stream once the
     * SDK has yielded the first chunk (or after {@link #FIRST_CHUNK_TIMEOUT}, noting it did not).
     */
    private JsonNode runScript(Path sdk, JsonNode config, CountDownLatch streamGate) throws Exception {
        Path stderr = sdk.resolve("sdk-check.stderr.log");
        Process node = new ProcessBuilder("node", "sdk-check.mjs", config.toString())
                .directory(sdk.toFile())
                .redirectError(stderr.toFile())
                .start();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(node.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("reading the script's output failed: " + e);
            } finally {
                lines.add(EOF);
            }
        });
        try {
            long deadline = System.nanoTime() + SCRIPT_TIMEOUT.toNanos();
            long releaseAt = Long.MAX_VALUE;
            StringBuilder output = new StringBuilder();
            String resultLine = null;
            while (true) {
                long wait = Math.min(deadline, releaseAt) - System.nanoTime();
                String line = lines.poll(Math.max(0, wait), TimeUnit.NANOSECONDS);
                if (line == null && System.nanoTime() >= deadline) {
                    fail("the OpenAI SDK script did not finish within " + SCRIPT_TIMEOUT + " (a hang?); output:\n"
                            + output + "stderr:\n" + Files.readString(stderr));
                }
                if (line == null) {
                    streamGate.countDown(); // the SDK got nothing while the upstream held the stream
                    releaseAt = Long.MAX_VALUE;
                } else if (line.equals(EOF)) {
                    break;
                } else if (line.equals("@@stream-started")) {
                    releaseAt = System.nanoTime() + FIRST_CHUNK_TIMEOUT.toNanos();
                } else if (line.equals("@@first-chunk")) {
                    firstChunkWhileHeld = streamGate.getCount() == 1;
                    streamGate.countDown();
                    releaseAt = Long.MAX_VALUE;
                } else if (line.startsWith("@@result ")) {
                    resultLine = line.substring("@@result ".length());
                } else {
                    output.append(line).append('\n');
                }
            }
            boolean exited = node.waitFor(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (!exited || node.exitValue() != 0 || resultLine == null) {
                fail("the OpenAI SDK script failed (" + (exited ? "exit code " + node.exitValue() : "no exit")
                        + "); output:\n" + output + "stderr:\n" + Files.readString(stderr));
            }
            Files.writeString(sdk.resolve("sdk-check.result.json"), resultLine); // for whoever reads a failure
            return RotorHarness.json(resultLine);
        } finally {
            streamGate.countDown();
            node.destroyForcibly();
        }
    }

    /**
     * Copies the script and its package files to {@code target/openai-sdk} and installs the pinned SDK
     * there with npm, unless the same package files were installed before.
     */
    private static Path installSdk() throws Exception {
        // The surefire configuration points rotor.home at target/rotor.
        Path target = Path.of(System.getProperty("rotor.home", "target/rotor")).toAbsolutePath().getParent();
        Path sdk = target.resolve("openai-sdk");
        Files.createDirectories(sdk);
        String nodeVersion = run(sdk, Duration.ofSeconds(30), "node", "--version").strip();
        int major = Integer.parseInt(nodeVersion.replaceFirst("^v(\\d+).*", "$1"));
        if (major < MIN_NODE_MAJOR) {
            unavailable("OpenAiSdkIT needs Node.js " + MIN_NODE_MAJOR + " or newer on the PATH; found " + nodeVersion);
        }
        StringBuilder stamp = new StringBuilder();
        for (String file : SDK_FILES) {
            String text = resource(file);
            Files.writeString(sdk.resolve(file), text);
            if (!file.endsWith(".mjs")) {
                stamp.append(text);
            }
        }
        Path stampFile = sdk.resolve(INSTALL_STAMP);
        boolean installed = Files.isRegularFile(sdk.resolve("node_modules/openai/package.json"))
                && Files.isRegularFile(stampFile) && Files.readString(stampFile).contentEquals(stamp);
        if (!installed) {
            try {
                run(sdk, INSTALL_TIMEOUT, "npm", "install", "--no-audit", "--no-fund");
            } catch (AssertionError failed) {
                unavailable("npm could not install the OpenAI SDK: " + failed.getMessage());
            }
            Path written = Files.createTempFile(sdk, "stamp", ".tmp");
            Files.writeString(written, stamp);
            Files.move(written, stampFile, StandardCopyOption.REPLACE_EXISTING);
        }
        return sdk;
    }

    /**
     * What the SDK needs is missing: a skip with the reason, or a failure where {@link #REQUIRED} asks for
     * the test to run.
     */
    private static void unavailable(String why) {
        if (Boolean.parseBoolean(System.getenv(REQUIRED))) {
            fail(why + " (" + REQUIRED + " is set, so this fails instead of skipping)");
        }
        // Surefire counts a class aborted before its tests as no tests at all: say it where the build's output shows it.
        System.err.println("[WARNING] OpenAiSdkIT skipped: " + why);
        Assumptions.abort(why);
    }

    private static String resource(String file) throws IOException {
        try (InputStream in = OpenAiSdkIT.class.getResourceAsStream(SDK_RESOURCES + file)) {
            if (in == null) {
                throw new IllegalStateException("test resource missing: " + SDK_RESOURCES + file);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Runs a command to its end and returns its output; fails the test, saying why, if it cannot. */
    private static String run(Path workDir, Duration timeout, String... command) throws Exception {
        Path log = Files.createTempFile(workDir, command[0], ".log");
        Process process;
        try {
            process = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            Files.deleteIfExists(log);
            unavailable("OpenAiSdkIT needs Node.js " + MIN_NODE_MAJOR + "+ and npm on the PATH, but '" + command[0]
                    + "' could not be started (" + e.getMessage() + "). Install Node.js (it brings npm).");
            return null;
        }
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                fail("'" + String.join(" ", command) + "' did not finish within " + timeout + ":\n"
                        + Files.readString(log));
            }
            String output = Files.readString(log);
            if (process.exitValue() != 0) {
                fail("'" + String.join(" ", command) + "' failed with exit code " + process.exitValue() + ":\n" + output);
            }
            return output;
        } finally {
            process.destroyForcibly();
            Files.deleteIfExists(log);
        }
    }
}
