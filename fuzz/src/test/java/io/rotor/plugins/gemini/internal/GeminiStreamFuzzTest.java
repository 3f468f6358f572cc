package io.rotor.plugins.gemini.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The Gemini stream translation, given any sequence of JSON events: every chunk it makes is an OpenAI
 * chat chunk (an id, the model, one choice with an integer index and a delta object); a choice's first
 * chunk carries the role; by the end every choice that started has exactly one finish reason.
 */
class GeminiStreamFuzzTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @FuzzTest(maxDuration = "30s")
    void everyChunkIsAnOpenAiChunkAndEveryChoiceFinishesOnce(byte[] bytes) throws Exception {
        String stream = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
        ChatResponses.StreamTranslator translator =
                new ChatResponses.StreamTranslator("chatcmpl-1", "gemini-x", 1, true, new ThoughtSignatures(16));
        Map<Integer, Integer> finishes = new HashMap<>();
        Set<Integer> started = new HashSet<>();
        for (String line : stream.split("\n")) {
            JsonNode event;
            try {
                event = JSON.readTree(line);
            } catch (JacksonException notJson) {
                continue;
            }
            if (event == null || !event.isObject()) {
                continue;
            }
            for (JsonNode chunk : translator.event(event)) {
                check(chunk, finishes, started);
            }
        }
        for (JsonNode chunk : translator.end()) {
            check(chunk, finishes, started);
        }
        for (int index : started) {
            assertEquals(1, finishes.getOrDefault(index, 0), () -> "choice " + index + " finished "
                    + finishes.getOrDefault(index, 0) + " times");
        }
        assertTrue(started.containsAll(finishes.keySet()), "a choice finished before it started");
    }

    private static void check(JsonNode chunk, Map<Integer, Integer> finishes, Set<Integer> started) throws Exception {
        JSON.writeValueAsBytes(chunk);
        assertEquals("chatcmpl-1", chunk.path("id").asText());
        assertEquals("chat.completion.chunk", chunk.path("object").asText());
        assertEquals("gemini-x", chunk.path("model").asText());
        JsonNode choices = chunk.path("choices");
        assertTrue(choices.isArray() && choices.size() <= 1, chunk::toString);
        if (choices.isEmpty()) {
            assertTrue(chunk.path("usage").isObject(), () -> "a chunk without a choice carries usage: " + chunk);
            return;
        }
        JsonNode choice = choices.get(0);
        assertTrue(choice.path("index").isInt(), chunk::toString);
        assertTrue(choice.path("delta").isObject(), chunk::toString);
        int index = choice.path("index").asInt();
        if (started.add(index)) {
            assertEquals("assistant", choice.path("delta").path("role").asText(), () -> "first chunk: " + chunk);
        }
        if (!choice.path("finish_reason").isNull()) {
            finishes.merge(index, 1, Integer::sum);
        }
    }
}
