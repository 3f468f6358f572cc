package io.rotor.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rotor.api.Account;
import io.rotor.api.AccountStatus;
import io.rotor.api.NewAccount;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The k2think plugin end to end: Felix with the real bundles and the plugin jar from the distribution's
 * plugins folder, OpenAI-style requests in, a fake K2 Think out.
 */
class K2ThinkIT {

    private static final String MODEL = "MBZUAI-IFM/K2-Think-v2";

    @TempDir
    Path dir;
    private FakeK2Think k2;
    private RotorHarness rotor;

    @BeforeEach
    void start() throws Exception {
        k2 = new FakeK2Think();
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("upstream.k2think.baseUrl", k2.baseUrl());
        settings.put("rateLimit.perAccount", "0");
        settings.put("rateLimit.cooldownMs", "1000");
        rotor = new RotorHarness(dir, settings).start();
    }

    @AfterEach
    void stop() {
        rotor.close();
        k2.close();
    }

    private String addAccount(String email, String password) {
        return rotor.admin().addAccount(new NewAccount("k2think", null, null, email,
                Map.of(Account.SECRET_PASSWORD, password), null, null, null, null, false)).id();
    }

    @Test
    void aChatIsAnsweredInOpenAisShapeWithTheThinkingAsReasoning() {
        k2.user("ann@example.com", new FakeK2Think.User("pw-ann", false, 100));
        String account = addAccount("ann@example.com", "pw-ann");
        String user = rotor.addUser("alice");

        HttpResponse<String> first = rotor.chat(user, MODEL, false);
        HttpResponse<String> second = rotor.chat(user, MODEL, false);

        assertEquals(200, first.statusCode(), first.body());
        assertEquals(account, first.headers().firstValue("X-Rotor-Account").orElseThrow());
        JsonNode message = RotorHarness.json(first.body()).at("/choices/0/message");
        assertEquals("Hello from ann", message.get("content").asText());
        assertEquals("Thinking about it", message.get("reasoning_content").asText());
        assertEquals(12, RotorHarness.json(first.body()).at("/usage/total_tokens").asInt());
        assertEquals(200, second.statusCode());
        assertEquals(1, k2.signIns("ann@example.com"), "the session is reused, not a sign-in per request");
        assertEquals("hi", k2.lastChat().at("/messages/0/content").asText());
    }

    @Test
    void aStreamedChatArrivesAsOpenAiChunksEndingWithDone() {
        k2.user("cookie@example.com", new FakeK2Think.User("pw", true, 100));
        addAccount("cookie@example.com", "pw");
        String user = rotor.addUser("bob");

        HttpResponse<String> response = rotor.chat(user, MODEL, true);

        assertEquals(200, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElseThrow().startsWith("text/event-stream"));
        StringBuilder content = new StringBuilder();
        StringBuilder reasoning = new StringBuilder();
        List<String> events = new ArrayList<>(List.of(response.body().split("\n\n")));
        assertEquals("data: [DONE]", events.remove(events.size() - 1));
        for (String event : events) {
            JsonNode delta = RotorHarness.json(event.substring("data: ".length())).at("/choices/0/delta");
            content.append(delta.path("content").asText(""));
            reasoning.append(delta.path("reasoning_content").asText(""));
        }
        assertEquals("Hello from cookie", content.toString());
        assertEquals("Thinking", reasoning.toString());
    }

    @Test
    void toolsAndImagesGoToK2ThinkAsTheClientSentThemAndToolCallsComeBack() {
        k2.user("tools@example.com", new FakeK2Think.User("pw", false, 100));
        addAccount("tools@example.com", "pw");
        String user = rotor.addUser("carol");
        String body = "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
                + "\"text\":\"Weather where this photo was taken?\"},{\"type\":\"image_url\",\"image_url\":{\"url\":"
                + "\"data:image/png;base64,iVBORw0KGgo=\"}}]}],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":"
                + "\"get_weather\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}}]}";

        HttpResponse<String> response = rotor.post("/v1/chat/completions", user, body);

        assertEquals(200, response.statusCode(), response.body());
        JsonNode call = RotorHarness.json(response.body()).at("/choices/0/message/tool_calls/0");
        assertEquals("get_weather", call.at("/function/name").asText());
        assertEquals("Paris", RotorHarness.json(call.at("/function/arguments").asText()).get("city").asText());
        assertEquals("tool_calls", RotorHarness.json(response.body()).at("/choices/0/finish_reason").asText());
        assertEquals("data:image/png;base64,iVBORw0KGgo=",
                k2.lastChat().at("/messages/0/content/1/image_url/url").asText());
        assertEquals("get_weather", k2.lastChat().at("/tools/0/function/name").asText());
    }

    @Test
    void aRateLimitedAccountHandsTheRequestToTheNextOneAndCoolsDown() {
        k2.user("first@example.com", new FakeK2Think.User("pw1", false, 1));
        k2.user("second@example.com", new FakeK2Think.User("pw2", true, 100));
        String first = addAccount("first@example.com", "pw1");
        String second = addAccount("second@example.com", "pw2");
        String user = rotor.addUser("dan");

        List<String> servedBy = new ArrayList<>();
        Instant before = Instant.now();
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> response = rotor.chat(user, MODEL, false);
            assertEquals(200, response.statusCode(), response.body());
            servedBy.add(response.headers().firstValue("X-Rotor-Account").orElseThrow());
        }

        // Round-robin: first serves, second serves, then first answers 429 and the request moves on.
        assertEquals(List.of(first, second, second), servedBy);
        Account cooled = rotor.admin().account(first);
        assertEquals(AccountStatus.RATE_LIMITED, cooled.status());
        assertTrue(cooled.rateLimit().blockedUntil().isAfter(before.plusSeconds(25)), "Retry-After: 30 is honoured");
    }

    @Test
    void aRefusedPasswordMarksTheAccountInvalidAndTheRequestMovesOn() {
        k2.user("good@example.com", new FakeK2Think.User("right", false, 100));
        k2.user("bad@example.com", new FakeK2Think.User("right", false, 100));
        String bad = addAccount("bad@example.com", "wrong-password-canary");
        String good = addAccount("good@example.com", "right");
        String user = rotor.addUser("erin");

        HttpResponse<String> response = rotor.chat(user, MODEL, false);

        assertEquals(200, response.statusCode(), response.body());
        assertEquals(good, response.headers().firstValue("X-Rotor-Account").orElseThrow());
        assertEquals(AccountStatus.INVALID, rotor.admin().account(bad).status());
        assertFalse(response.body().contains("wrong-password-canary"));
    }

    @Test
    void validationSignsInAndRefusesAWrongPassword() {
        k2.user("val@example.com", new FakeK2Think.User("pw", false, 100));
        HttpResponse<String> refused = rotor.call("POST", "/admin/accounts", RotorHarness.MASTER_KEY,
                "{\"upstream\":\"k2think\",\"email\":\"val@example.com\",\"password\":\"nope\",\"validate\":true}");
        assertEquals(400, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("refused the sign-in"), refused.body());

        HttpResponse<String> accepted = rotor.call("POST", "/admin/accounts", RotorHarness.MASTER_KEY,
                "{\"upstream\":\"k2think\",\"email\":\"val@example.com\",\"password\":\"pw\",\"validate\":true}");
        assertEquals(201, accepted.statusCode(), accepted.body());
        assertEquals(2, k2.signIns("val@example.com"));
    }

    @Test
    void theModelListNamesK2Think() {
        k2.user("m@example.com", new FakeK2Think.User("pw", false, 100));
        addAccount("m@example.com", "pw");
        HttpResponse<String> models = rotor.get("/v1/models", rotor.addUser("fay"));
        assertEquals(200, models.statusCode(), models.body());
        assertTrue(models.body().contains("\"" + MODEL + "\""), models.body());
    }
}
