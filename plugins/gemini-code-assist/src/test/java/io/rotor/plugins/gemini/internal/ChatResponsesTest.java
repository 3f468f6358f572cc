package io.rotor.plugins.gemini.internal;

import static io.rotor.plugins.gemini.internal.Fixtures.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import org.junit.jupiter.api.Test;

/** Code Assist answers translated into OpenAI chat completions and chunks. */
class ChatResponsesTest {

    private final ThoughtSignatures signatures = new ThoughtSignatures(100);

    @Test
    void aWholeAnswerHasContentReasoningUsageAndFinishReason() {
        JsonNode completion = ChatResponses.completion(json("{\"traceId\":\"t-1\",\"response\":{\"candidates\":[{"
                + "\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Let me think.\",\"thought\":true},"
                + "{\"text\":\"Hello \"},{\"text\":\"there\"}]},\"finishReason\":\"STOP\"}],"
                + "\"usageMetadata\":{\"promptTokenCount\":10,\"candidatesTokenCount\":5,\"thoughtsTokenCount\":7,"
                + "\"totalTokenCount\":22,\"cachedContentTokenCount\":4}}}"), "gemini-2.5-pro", 1234, signatures);

        assertEquals("chatcmpl-t-1", completion.get("id").asText());
        assertEquals("chat.completion", completion.get("object").asText());
        assertEquals(1234, completion.get("created").asLong());
        assertEquals("gemini-2.5-pro", completion.get("model").asText());
        JsonNode message = completion.at("/choices/0/message");
        assertEquals("assistant", message.get("role").asText());
        assertEquals("Hello there", message.get("content").asText());
        assertEquals("Let me think.", message.get("reasoning_content").asText());
        assertEquals("stop", completion.at("/choices/0/finish_reason").asText());
        JsonNode usage = completion.get("usage");
        assertEquals(10, usage.get("prompt_tokens").asInt());
        assertEquals(12, usage.get("completion_tokens").asInt(), "thinking is part of the completion, as with OpenAI");
        assertEquals(22, usage.get("total_tokens").asInt());
        assertEquals(7, usage.at("/completion_tokens_details/reasoning_tokens").asInt());
        assertEquals(4, usage.at("/prompt_tokens_details/cached_tokens").asInt());
    }

    @Test
    void functionCallsBecomeToolCallsWhoseSignatureIsRemembered() {
        JsonNode completion = ChatResponses.completion(json("{\"response\":{\"candidates\":[{\"content\":{\"role\":"
                + "\"model\",\"parts\":[{\"functionCall\":{\"name\":\"get_weather\",\"args\":{\"city\":\"Paris\"}},"
                + "\"thoughtSignature\":\"sig-1\"},{\"functionCall\":{\"name\":\"now\"}}]},\"finishReason\":\"STOP\"}]}}"),
                "gemini-3-pro-preview", 1, signatures);

        JsonNode message = completion.at("/choices/0/message");
        assertTrue(message.get("content").isNull());
        JsonNode first = message.at("/tool_calls/0");
        assertTrue(first.get("id").asText().startsWith("call_"));
        assertEquals("function", first.get("type").asText());
        assertEquals("get_weather", first.at("/function/name").asText());
        assertEquals("Paris", json(first.at("/function/arguments").asText()).get("city").asText());
        assertEquals("{}", message.at("/tool_calls/1/function/arguments").asText());
        assertEquals("tool_calls", completion.at("/choices/0/finish_reason").asText());
        assertEquals("sig-1", signatures.find(first.get("id").asText()));
    }

    @Test
    void finishReasonsMapToOpenAis() {
        assertEquals("stop", ChatResponses.finishReason("STOP", false));
        assertEquals("tool_calls", ChatResponses.finishReason("STOP", true));
        assertEquals("length", ChatResponses.finishReason("MAX_TOKENS", false));
        assertEquals("content_filter", ChatResponses.finishReason("SAFETY", false));
        assertEquals("content_filter", ChatResponses.finishReason("RECITATION", false));
        assertEquals("content_filter", ChatResponses.finishReason("PROHIBITED_CONTENT", false));
        assertEquals("stop", ChatResponses.finishReason("OTHER", false));
        assertEquals(null, ChatResponses.finishReason(null, false));
    }

    @Test
    void aBlockedPromptIsAnEmptyAnswerFilteredForContent() {
        JsonNode completion = ChatResponses.completion(json("{\"response\":{\"promptFeedback\":{\"blockReason\":"
                + "\"SAFETY\"}}}"), "gemini-2.5-flash", 1, signatures);
        assertEquals("", completion.at("/choices/0/message/content").asText());
        assertEquals("content_filter", completion.at("/choices/0/finish_reason").asText());
    }

    @Test
    void streamedEventsBecomeChunksWithTheRoleFirstToolCallsNumberedAndUsageLast() {
        ChatResponses.StreamTranslator translator = new ChatResponses.StreamTranslator("chatcmpl-x", "gemini-2.5-flash",
                99, true, signatures);

        ArrayNode first = translator.event(json("{\"response\":{\"candidates\":[{\"content\":{\"role\":\"model\","
                + "\"parts\":[{\"text\":\"Thinking\",\"thought\":true}]}}]}}"));
        ArrayNode second = translator.event(json("{\"response\":{\"candidates\":[{\"content\":{\"role\":\"model\","
                + "\"parts\":[{\"text\":\"Calling\"},{\"functionCall\":{\"name\":\"a\",\"args\":{}}}]}}]}}"));
        ArrayNode third = translator.event(json("{\"response\":{\"candidates\":[{\"content\":{\"role\":\"model\","
                + "\"parts\":[{\"functionCall\":{\"name\":\"b\",\"args\":{\"x\":1}}}]},\"finishReason\":\"STOP\"}],"
                + "\"usageMetadata\":{\"promptTokenCount\":3,\"candidatesTokenCount\":4,\"totalTokenCount\":7}}}"));
        ArrayNode end = translator.end();

        assertEquals(1, first.size());
        JsonNode chunk = first.get(0);
        assertEquals("chatcmpl-x", chunk.get("id").asText());
        assertEquals("chat.completion.chunk", chunk.get("object").asText());
        assertEquals(99, chunk.get("created").asLong());
        assertEquals("assistant", chunk.at("/choices/0/delta/role").asText());
        assertEquals("Thinking", chunk.at("/choices/0/delta/reasoning_content").asText());
        assertTrue(chunk.at("/choices/0/finish_reason").isNull());

        JsonNode delta = second.get(0).at("/choices/0/delta");
        assertFalse(delta.has("role"), "the role comes once");
        assertEquals("Calling", delta.get("content").asText());
        assertEquals(0, delta.at("/tool_calls/0/index").asInt());
        assertEquals("a", delta.at("/tool_calls/0/function/name").asText());

        assertEquals(1, third.get(0).at("/choices/0/delta/tool_calls/0/index").asInt());
        assertEquals("{\"x\":1}", third.get(0).at("/choices/0/delta/tool_calls/0/function/arguments").asText());
        assertEquals("tool_calls", third.get(0).at("/choices/0/finish_reason").asText());

        assertEquals(1, end.size(), "the finished choice is not finished again; usage follows");
        assertEquals(0, end.get(0).get("choices").size());
        assertEquals(7, end.get(0).at("/usage/total_tokens").asInt());
    }

    @Test
    void aStreamThatEndsWithoutAFinishReasonIsClosedAndUsageIsLeftOutUnlessAskedFor() {
        ChatResponses.StreamTranslator translator = new ChatResponses.StreamTranslator("id", "m", 1, false, signatures);
        translator.event(json("{\"response\":{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}]}}],"
                + "\"usageMetadata\":{\"totalTokenCount\":2}}}"));

        ArrayNode end = translator.end();

        assertEquals(1, end.size());
        assertEquals("stop", end.get(0).at("/choices/0/finish_reason").asText());
        assertFalse(end.get(0).has("usage"));
    }

    /** Found by fuzzing: a second finish reason for a choice made a second finishing chunk. */
    @Test
    void aChoiceFinishesOnceWhateverComesAfterItsFinishReason() {
        ChatResponses.StreamTranslator translator = new ChatResponses.StreamTranslator("id", "m", 1, false, signatures);
        ArrayNode first = translator.event(json("{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]},"
                + "\"finishReason\":\"MAX_TOKENS\"}]}"));
        ArrayNode after = translator.event(json("{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"b\"}]},"
                + "\"finishReason\":\"STOP\"}]}"));

        assertEquals("length", first.get(0).at("/choices/0/finish_reason").asText());
        assertEquals(0, after.size());
        assertEquals(0, translator.end().size());
    }
}
