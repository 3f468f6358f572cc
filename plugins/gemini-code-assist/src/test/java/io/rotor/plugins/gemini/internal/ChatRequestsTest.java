package io.rotor.plugins.gemini.internal;

import static io.rotor.plugins.gemini.internal.Fixtures.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rotor.plugins.support.UpstreamRefusal;
import io.rotor.transport.http.internal.OkHttpUpstreamClient;
import java.io.IOException;
import java.util.Base64;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okio.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** OpenAI chat requests translated into Code Assist's {@code request}. */
@Timeout(30)
class ChatRequestsTest {

    private static final String PNG = Base64.getEncoder().encodeToString(new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2});

    private final MockWebServer images = new MockWebServer();
    private final ThoughtSignatures signatures = new ThoughtSignatures(100);
    private OkHttpUpstreamClient http;

    @BeforeEach
    void start() throws IOException {
        images.start();
        http = Fixtures.http();
    }

    @AfterEach
    void stop() {
        http.close();
        images.close();
    }

    private JsonNode translate(String body, String model, ImageParts.UrlPolicy policy) throws UpstreamRefusal {
        return new ChatRequests(new ImageParts(http, policy), signatures).translate(json(body), model);
    }

    private JsonNode translate(String body) throws UpstreamRefusal {
        return translate(body, "gemini-2.5-flash", ImageParts.UrlPolicy.PUBLIC);
    }

    @Test
    void systemAndDeveloperMessagesBecomeTheSystemInstructionAndRolesMapToUserAndModel() throws Exception {
        JsonNode request = translate("{\"messages\":["
                + "{\"role\":\"system\",\"content\":\"Be brief.\"},"
                + "{\"role\":\"developer\",\"content\":[{\"type\":\"text\",\"text\":\"Answer in French.\"}]},"
                + "{\"role\":\"user\",\"content\":\"Hi\"},"
                + "{\"role\":\"assistant\",\"content\":\"Bonjour\"},"
                + "{\"role\":\"user\",\"content\":\"Again\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"and again\"}]}]}");

        assertEquals("Be brief.", request.at("/systemInstruction/parts/0/text").asText());
        assertEquals("Answer in French.", request.at("/systemInstruction/parts/1/text").asText());
        JsonNode contents = request.get("contents");
        assertEquals(3, contents.size(), "consecutive user messages are one turn: " + contents);
        assertEquals("user", contents.at("/0/role").asText());
        assertEquals("Hi", contents.at("/0/parts/0/text").asText());
        assertEquals("model", contents.at("/1/role").asText());
        assertEquals("Bonjour", contents.at("/1/parts/0/text").asText());
        assertEquals("Again", contents.at("/2/parts/0/text").asText());
        assertEquals("and again", contents.at("/2/parts/1/text").asText());
    }

    @Test
    void dataUrlImagesBecomeInlineData() throws Exception {
        JsonNode request = translate("{\"messages\":[{\"role\":\"user\",\"content\":["
                + "{\"type\":\"text\",\"text\":\"What is this?\"},"
                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64," + PNG + "\"}}]}]}");

        JsonNode parts = request.at("/contents/0/parts");
        assertEquals("What is this?", parts.at("/0/text").asText());
        assertEquals("image/png", parts.at("/1/inlineData/mimeType").asText());
        assertEquals(PNG, parts.at("/1/inlineData/data").asText());
    }

    @Test
    void httpImagesAreFetchedThroughTheUpstreamClientAndInlined() throws Exception {
        byte[] jpeg = {(byte) 0xff, (byte) 0xd8, (byte) 0xff, 0x10, 0x20};
        images.enqueue(new MockResponse.Builder().code(200).addHeader("Content-Type", "image/jpeg; charset=binary")
                .body(new Buffer().write(jpeg)).build());

        JsonNode request = translate("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
                + "\"image_url\":{\"url\":\"" + images.url("/cat.jpg") + "\"}}]}]}", "gemini-2.5-pro",
                ImageParts.UrlPolicy.ANY);

        assertEquals("image/jpeg", request.at("/contents/0/parts/0/inlineData/mimeType").asText());
        assertEquals(Base64.getEncoder().encodeToString(jpeg), request.at("/contents/0/parts/0/inlineData/data").asText());
        assertEquals("/cat.jpg", images.takeRequest().getTarget());
    }

    @Test
    void imagesOnPrivateNetworksAreRefusedUnlessAllowedAndOversizedOnesAlways() throws Exception {
        String local = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\""
                + images.url("/cat.png") + "\"}}]}]}";
        UpstreamRefusal refused = assertThrows(UpstreamRefusal.class, () -> translate(local));
        assertEquals(400, refused.status());
        assertTrue(refused.getMessage().contains("private network"), refused.getMessage());
        assertEquals(0, images.getRequestCount(), "nothing was fetched");
        assertThrows(UpstreamRefusal.class, () -> translate(local, "gemini-2.5-pro", ImageParts.UrlPolicy.NONE));

        images.enqueue(new MockResponse.Builder().code(200).addHeader("Content-Type", "image/png")
                .body(new Buffer().write(new byte[ImageParts.MAX_IMAGE_BYTES + 1])).build());
        UpstreamRefusal tooLarge = assertThrows(UpstreamRefusal.class,
                () -> translate(local, "gemini-2.5-pro", ImageParts.UrlPolicy.ANY));
        assertTrue(tooLarge.getMessage().contains("larger than"), tooLarge.getMessage());

        images.enqueue(new MockResponse.Builder().code(404).build());
        assertEquals(400, assertThrows(UpstreamRefusal.class,
                () -> translate(local, "gemini-2.5-pro", ImageParts.UrlPolicy.ANY)).status());
    }

    @Test
    void cloudStorageImagesBecomeFileData() throws Exception {
        JsonNode request = translate("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
                + "\"image_url\":{\"url\":\"gs://bucket/photo.webp\"}}]}]}");
        assertEquals("gs://bucket/photo.webp", request.at("/contents/0/parts/0/fileData/fileUri").asText());
        assertEquals("image/webp", request.at("/contents/0/parts/0/fileData/mimeType").asText());
    }

    @Test
    void toolsBecomeFunctionDeclarationsWithTheirJsonSchema() throws Exception {
        JsonNode request = translate("{\"messages\":[{\"role\":\"user\",\"content\":\"weather?\"}],\"tools\":["
                + "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Weather now\","
                + "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},"
                + "\"required\":[\"city\"],\"additionalProperties\":false}}},"
                + "{\"type\":\"function\",\"function\":{\"name\":\"now\"}}],"
                + "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}}");

        JsonNode declarations = request.at("/tools/0/functionDeclarations");
        assertEquals("get_weather", declarations.at("/0/name").asText());
        assertEquals("Weather now", declarations.at("/0/description").asText());
        assertEquals("string", declarations.at("/0/parametersJsonSchema/properties/city/type").asText());
        assertFalse(declarations.get(1).has("parametersJsonSchema"));
        assertEquals("ANY", request.at("/toolConfig/functionCallingConfig/mode").asText());
        assertEquals("get_weather", request.at("/toolConfig/functionCallingConfig/allowedFunctionNames/0").asText());

        assertEquals("NONE", translate("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tool_choice\":\"none\"}")
                .at("/toolConfig/functionCallingConfig/mode").asText());
        assertEquals("ANY", translate("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tool_choice\":\"required\"}")
                .at("/toolConfig/functionCallingConfig/mode").asText());
    }

    @Test
    void toolCallsAndToolResultsBecomeFunctionCallsAndFunctionResponses() throws Exception {
        signatures.remember("call_1", "sig-from-gemini");
        JsonNode request = translate("{\"messages\":["
                + "{\"role\":\"user\",\"content\":\"Weather in Paris and Rome?\"},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
                + "{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                + "\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}},"
                + "{\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                + "\"arguments\":\"{\\\"city\\\":\\\"Rome\\\"}\"}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"{\\\"temp\\\":21}\"},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"call_2\",\"content\":\"sunny, 25 C\"},"
                + "{\"role\":\"user\",\"content\":\"Thanks\"}]}", "gemini-3-pro-preview", ImageParts.UrlPolicy.PUBLIC);

        JsonNode contents = request.get("contents");
        assertEquals(3, contents.size(), contents.toString());
        JsonNode calls = contents.at("/1/parts");
        assertEquals("model", contents.at("/1/role").asText());
        assertEquals("get_weather", calls.at("/0/functionCall/name").asText());
        assertEquals("Paris", calls.at("/0/functionCall/args/city").asText());
        assertEquals("sig-from-gemini", calls.at("/0/thoughtSignature").asText(), "the signature Gemini gave comes back");
        assertFalse(calls.get(1).has("thoughtSignature"), "only the first call of a turn needs one");
        JsonNode results = contents.at("/2/parts");
        assertEquals("user", contents.at("/2/role").asText());
        assertEquals("get_weather", results.at("/0/functionResponse/name").asText());
        assertEquals(21, results.at("/0/functionResponse/response/temp").asInt(), "a JSON object result stays one");
        assertEquals("sunny, 25 C", results.at("/1/functionResponse/response/output").asText());
        assertEquals("Thanks", results.at("/2/text").asText());
    }

    @Test
    void aGemini3ToolCallWithoutAKnownSignatureCarriesTheSkipValidatorOnlyOnGemini3() throws Exception {
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\",\"tool_calls\":["
                + "{\"id\":\"call_unknown\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"call_unknown\",\"content\":\"ok\"}]}";
        JsonNode three = translate(body, "gemini-3-flash-preview", ImageParts.UrlPolicy.PUBLIC);
        assertEquals(ThoughtSignatures.SKIP_VALIDATION, three.at("/contents/1/parts/0/thoughtSignature").asText());
        assertTrue(three.at("/contents/1/parts/0/functionCall/args").isObject());
        JsonNode two = translate(body, "gemini-2.5-pro", ImageParts.UrlPolicy.PUBLIC);
        assertFalse(two.at("/contents/1/parts/0").has("thoughtSignature"));
    }

    @Test
    void samplingOptionsBecomeTheGenerationConfig() throws Exception {
        JsonNode config = translate("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":0.2,"
                + "\"top_p\":0.9,\"max_tokens\":100,\"stop\":\"END\",\"n\":1,\"seed\":7,\"presence_penalty\":0.5,"
                + "\"frequency_penalty\":0.1,\"response_format\":{\"type\":\"json_schema\",\"json_schema\":"
                + "{\"name\":\"r\",\"schema\":{\"type\":\"object\"}}}}").get("generationConfig");

        assertEquals(0.2, config.get("temperature").asDouble());
        assertEquals(0.9, config.get("topP").asDouble());
        assertEquals(100, config.get("maxOutputTokens").asInt());
        assertEquals("END", config.at("/stopSequences/0").asText());
        assertEquals(1, config.get("candidateCount").asInt());
        assertEquals(7, config.get("seed").asInt());
        assertEquals(0.5, config.get("presencePenalty").asDouble());
        assertEquals(0.1, config.get("frequencyPenalty").asDouble());
        assertEquals("application/json", config.get("responseMimeType").asText());
        assertEquals("object", config.at("/responseJsonSchema/type").asText());
        assertTrue(config.at("/thinkingConfig/includeThoughts").asBoolean(), "thoughts come back as reasoning");
        assertFalse(config.get("thinkingConfig").has("thinkingBudget"), "without an effort the model decides");
    }

    @Test
    void reasoningEffortBecomesAThinkingBudgetThatProModelsCannotTurnOff() throws Exception {
        assertEquals(1024, budget("low", "gemini-2.5-flash"));
        assertEquals(8192, budget("medium", "gemini-2.5-flash"));
        assertEquals(24576, budget("high", "gemini-2.5-pro"));
        assertEquals(0, budget("none", "gemini-2.5-flash-lite"));
        assertEquals(128, budget("none", "gemini-2.5-pro"));
        assertFalse(ChatRequests.thinkingConfig(json("\"none\""), "gemini-2.5-flash").get("includeThoughts").asBoolean());
        assertEquals(400, assertThrows(UpstreamRefusal.class,
                () -> ChatRequests.thinkingConfig(json("\"extreme\""), "gemini-2.5-pro")).status());
    }

    @Test
    void requestsCodeAssistCannotExpressAreRefusedWith400() {
        for (String body : new String[] {
                "{\"messages\":[]}",
                "{\"messages\":[{\"role\":\"system\",\"content\":\"only a system message\"}]}",
                "{\"messages\":[{\"role\":\"narrator\",\"content\":\"x\"}]}",
                "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"video\"}]}]}",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":\"hot\"}",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[{\"type\":\"web_search\"}]}",
                "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":"
                        + "\"ftp://example.com/a.png\"}}]}]}",
                "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":"
                        + "\"data:image/png;base64,***\"}}]}]}"}) {
            UpstreamRefusal refused = assertThrows(UpstreamRefusal.class, () -> translate(body), body);
            assertEquals(400, refused.status(), body);
        }
    }

    private static int budget(String effort, String model) throws UpstreamRefusal {
        return ChatRequests.thinkingConfig(json("\"" + effort + "\""), model).get("thinkingBudget").asInt();
    }
}
