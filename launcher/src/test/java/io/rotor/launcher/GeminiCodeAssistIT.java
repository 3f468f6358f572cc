package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rotor.api.Account;
import io.rotor.api.AccountStatus;
import io.rotor.api.NewAccount;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gemini-code-assist plugin end to end: Felix with the real bundles and the plugin jar from the
 * distribution's plugins folder, OpenAI-style requests in, a fake Google (OAuth and Code Assist) out.
 */
class GeminiCodeAssistIT {

    private static final String MODEL = "gemini-2.5-flash";
    private static final String GEMINI_CLI_CLIENT = "681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com";

    @TempDir
    Path dir;
    private FakeGoogle google;
    private RotorHarness rotor;

    @BeforeEach
    void start() throws Exception {
        google = new FakeGoogle();
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("upstream.gemini-code-assist.baseUrl", google.baseUrl());
        settings.put("upstream.gemini-code-assist.tokenUrl", google.tokenUrl());
        // The fake serves its image from 127.0.0.1, which the default policy (public hosts only) refuses.
        settings.put("upstream.gemini-code-assist.imageUrls", "any");
        settings.put("rateLimit.perAccount", "0");
        settings.put("rateLimit.cooldownMs", "1000");
        rotor = new RotorHarness(dir, settings).start();
    }

    @AfterEach
    void stop() {
        rotor.close();
        google.close();
    }

    private String addCredential(String refreshToken) {
        return rotor.admin().addAccount(new NewAccount("gemini-code-assist", null, null, null,
                Map.of(Account.SECRET_CREDENTIAL, FakeGoogle.oauthCreds(refreshToken)), null, null, null, null,
                false)).id();
    }

    private HttpResponse<String> chat(String user, String body) {
        return rotor.post("/v1/chat/completions", user, body);
    }

    @Test
    void aChatIsTranslatedToCodeAssistAndItsAnswerBackToOpenAisShape() {
        google.credential("r-a", new FakeGoogle.Credential("proj-a", 100));
        String account = addCredential("r-a");
        String user = rotor.addUser("alice");
        String body = "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                + "{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":0.3,\"max_tokens\":64}";

        HttpResponse<String> first = chat(user, body);
        HttpResponse<String> second = chat(user, body);

        assertEquals(200, first.statusCode(), first.body());
        assertEquals(account, first.headers().firstValue("X-Rotor-Account").orElseThrow());
        JsonNode completion = RotorHarness.json(first.body());
        assertEquals("chat.completion", completion.get("object").asText());
        assertEquals(MODEL, completion.get("model").asText());
        assertEquals("Hello from proj-a", completion.at("/choices/0/message/content").asText());
        assertEquals("Let me think.", completion.at("/choices/0/message/reasoning_content").asText());
        assertEquals("stop", completion.at("/choices/0/finish_reason").asText());
        assertEquals(15, completion.at("/usage/total_tokens").asInt());
        assertEquals(3, completion.at("/usage/completion_tokens_details/reasoning_tokens").asInt());
        assertEquals(200, second.statusCode());

        JsonNode sent = google.lastGenerate();
        assertEquals(MODEL, sent.get("model").asText());
        assertEquals("proj-a", sent.get("project").asText(), "found with loadCodeAssist");
        assertEquals("Be brief.", sent.at("/request/systemInstruction/parts/0/text").asText());
        assertEquals("user", sent.at("/request/contents/0/role").asText());
        assertEquals(0.3, sent.at("/request/generationConfig/temperature").asDouble());
        assertEquals(64, sent.at("/request/generationConfig/maxOutputTokens").asInt());
        assertEquals(1, google.refreshes("r-a"), "the access token is cached between requests");
        assertEquals(GEMINI_CLI_CLIENT, google.lastClientId());
    }

    @Test
    void aStreamedChatArrivesAsOpenAiChunksEndingWithDone() {
        google.credential("r-s", new FakeGoogle.Credential("proj-s", 100));
        addCredential("r-s");
        String user = rotor.addUser("bob");

        HttpResponse<String> response = chat(user, "{\"model\":\"" + MODEL + "\",\"stream\":true,\"stream_options\":"
                + "{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

        assertEquals(200, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElseThrow().startsWith("text/event-stream"));
        List<String> events = new ArrayList<>(List.of(response.body().split("\n\n")));
        assertEquals("data: [DONE]", events.remove(events.size() - 1));
        StringBuilder content = new StringBuilder();
        StringBuilder reasoning = new StringBuilder();
        String finish = null;
        JsonNode usage = null;
        for (String event : events) {
            JsonNode chunk = RotorHarness.json(event.substring("data: ".length()));
            assertEquals("chat.completion.chunk", chunk.get("object").asText());
            JsonNode choice = chunk.path("choices").path(0);
            content.append(choice.path("delta").path("content").asText(""));
            reasoning.append(choice.path("delta").path("reasoning_content").asText(""));
            if (choice.hasNonNull("finish_reason")) {
                finish = choice.get("finish_reason").asText();
            }
            usage = chunk.has("usage") ? chunk.get("usage") : usage;
        }
        assertEquals("Hello from proj-s", content.toString());
        assertEquals("Let me think.", reasoning.toString());
        assertEquals("stop", finish);
        assertEquals(15, usage.get("total_tokens").asInt());
    }

    @Test
    void toolCallsGoOutAsFunctionCallsAndTheirResultsComeBackWithGeminisSignature() {
        google.credential("r-t", new FakeGoogle.Credential("proj-t", 100));
        addCredential("r-t");
        String user = rotor.addUser("carol");
        String tools = "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":"
                + "\"Current weather\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":"
                + "\"string\"}},\"required\":[\"city\"]}}}]";

        HttpResponse<String> called = chat(user, "{\"model\":\"gemini-3-pro-preview\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"Weather in Paris?\"}]," + tools + "}");

        assertEquals(200, called.statusCode(), called.body());
        JsonNode message = RotorHarness.json(called.body()).at("/choices/0/message");
        assertEquals("tool_calls", RotorHarness.json(called.body()).at("/choices/0/finish_reason").asText());
        JsonNode call = message.at("/tool_calls/0");
        assertEquals("get_weather", call.at("/function/name").asText());
        assertEquals("Paris", RotorHarness.json(call.at("/function/arguments").asText()).get("city").asText());
        assertEquals("string", google.lastGenerate()
                .at("/request/tools/0/functionDeclarations/0/parametersJsonSchema/properties/city/type").asText());

        ObjectNode assistant = (ObjectNode) message.deepCopy();
        assistant.remove("reasoning_content");
        String followUp = "{\"model\":\"gemini-3-pro-preview\",\"messages\":[{\"role\":\"user\",\"content\":"
                + "\"Weather in Paris?\"}," + assistant + ",{\"role\":\"tool\",\"tool_call_id\":\""
                + call.get("id").asText() + "\",\"content\":\"sunny\"}]," + tools + "}";
        HttpResponse<String> answered = chat(user, followUp);

        assertEquals(200, answered.statusCode(), answered.body());
        assertEquals("It is sunny in get_weather terms.",
                RotorHarness.json(answered.body()).at("/choices/0/message/content").asText());
        JsonNode history = google.lastGenerate().at("/request/contents");
        assertEquals("model", history.at("/1/role").asText());
        assertEquals("get_weather", history.at("/1/parts/0/functionCall/name").asText());
        assertEquals("sig-proj-t", history.at("/1/parts/0/thoughtSignature").asText());
        assertEquals("get_weather", history.at("/2/parts/0/functionResponse/name").asText());
    }

    @Test
    void imagesAsDataUrlsAndAsHttpUrlsReachCodeAssistInline() {
        google.credential("r-i", new FakeGoogle.Credential("proj-i", 100));
        addCredential("r-i");
        String user = rotor.addUser("dan");
        String dataUrl = "data:image/png;base64," + Base64.getEncoder().encodeToString(new byte[] {1, 2, 3, 4, 5});

        HttpResponse<String> inline = chat(user, image(dataUrl));
        HttpResponse<String> fetched = chat(user, image(google.imageUrl()));

        assertEquals(200, inline.statusCode(), inline.body());
        assertEquals("I see a image/png of 5 bytes.",
                RotorHarness.json(inline.body()).at("/choices/0/message/content").asText());
        assertEquals(200, fetched.statusCode(), fetched.body());
        assertEquals("I see a image/png of " + FakeGoogle.CAT_PNG.length + " bytes.",
                RotorHarness.json(fetched.body()).at("/choices/0/message/content").asText());
        assertEquals("What is this?", google.lastGenerate().at("/request/contents/0/parts/0/text").asText());
    }

    private static String image(String url) {
        return "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":"
                + "\"What is this?\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + url + "\"}}]}]}";
    }

    @Test
    void anExhaustedCredentialHandsTheRequestToTheNextAndCoolsDownUntilGooglesReset() {
        google.credential("r-1", new FakeGoogle.Credential("proj-1", 1));
        google.credential("r-2", new FakeGoogle.Credential("proj-2", 100));
        String first = addCredential("r-1");
        String second = addCredential("r-2");
        String user = rotor.addUser("erin");
        String body = "{\"model\":\"" + MODEL + "\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

        List<String> servedBy = new ArrayList<>();
        Instant before = Instant.now();
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> response = chat(user, body);
            assertEquals(200, response.statusCode(), response.body());
            assertTrue(response.body().endsWith("data: [DONE]\n\n"), response.body());
            servedBy.add(response.headers().firstValue("X-Rotor-Account").orElseThrow());
        }

        // Round-robin: the first serves once, then its quota is exhausted and its turn goes to the second.
        assertEquals(List.of(first, second, second), servedBy);
        Account cooled = rotor.admin().account(first);
        assertEquals(AccountStatus.RATE_LIMITED, cooled.status());
        assertTrue(cooled.rateLimit().blockedUntil().isAfter(before.plusSeconds(50)),
                "cooled for Google's 53 s, not the configured 1 s: " + cooled.rateLimit());
        assertEquals(1, google.served("proj-1"));
        assertEquals(2, google.served("proj-2"));
    }

    @Test
    void aRevokedRefreshTokenMarksTheCredentialInvalidAndTheRequestMovesOn() {
        google.credential("r-good", new FakeGoogle.Credential("proj-good", 100));
        String revoked = addCredential("r-revoked-canary");
        String good = addCredential("r-good");
        String user = rotor.addUser("fay");

        HttpResponse<String> response = chat(user, "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"hi\"}]}");

        assertEquals(200, response.statusCode(), response.body());
        assertEquals(good, response.headers().firstValue("X-Rotor-Account").orElseThrow());
        Account invalid = rotor.admin().account(revoked);
        assertEquals(AccountStatus.INVALID, invalid.status());
        assertFalse(response.body().contains("r-revoked-canary"));
    }

    @Test
    void addingACredentialRefreshesItFirstAndRefusesARevokedOne() {
        google.credential("r-valid", new FakeGoogle.Credential("proj-v", 100));
        HttpResponse<String> refused = rotor.call("POST", "/admin/accounts", RotorHarness.MASTER_KEY,
                "{\"upstream\":\"gemini-code-assist\",\"credential\":" + FakeGoogle.oauthCreds("r-gone") + ","
                        + "\"validate\":true}");
        assertEquals(400, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("invalid_grant"), refused.body());
        assertFalse(refused.body().contains("r-gone"));

        HttpResponse<String> accepted = rotor.call("POST", "/admin/accounts", RotorHarness.MASTER_KEY,
                "{\"upstream\":\"gemini-code-assist\",\"credential\":" + FakeGoogle.oauthCreds("r-valid") + ","
                        + "\"validate\":true}");
        assertEquals(201, accepted.statusCode(), accepted.body());
        assertEquals(1, google.refreshes("r-valid"));
    }

    @Test
    void theModelListNamesTheCodeAssistModels() {
        google.credential("r-m", new FakeGoogle.Credential("proj-m", 100));
        addCredential("r-m");
        HttpResponse<String> models = rotor.get("/v1/models", rotor.addUser("gus"));
        assertEquals(200, models.statusCode(), models.body());
        for (String model : List.of("gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite",
                "gemini-3-pro-preview", "gemini-3-flash-preview")) {
            assertTrue(models.body().contains("\"" + model + "\""), models.body());
        }
        assertEquals(0, google.refreshes("r-m"), "listing models needs no credential");
    }
}
