package io.rotor.plugins.gemini.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Code Assist's answers as OpenAI chat completions: text parts become {@code content}, thought parts
 * {@code reasoning_content}, function calls {@code tool_calls}, {@code usageMetadata} {@code usage},
 * and finish reasons OpenAI's ({@code stop}, {@code length}, {@code tool_calls}, {@code content_filter}).
 */
final class ChatResponses {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private ChatResponses() {
    }

    /** A whole {@code generateContent} answer as a {@code chat.completion}. */
    static ObjectNode completion(JsonNode answer, String model, long created, ThoughtSignatures signatures) {
        JsonNode response = answer.has("response") ? answer.path("response") : answer;
        ObjectNode completion = JSON.createObjectNode();
        completion.put("id", completionId(answer));
        completion.put("object", "chat.completion");
        completion.put("created", created);
        completion.put("model", model);
        ArrayNode choices = completion.putArray("choices");
        int position = 0;
        for (JsonNode candidate : response.path("candidates")) {
            Turn turn = Turn.of(candidate.path("content").path("parts"), signatures);
            ObjectNode choice = choices.addObject().put("index", candidate.path("index").asInt(position++));
            ObjectNode message = choice.putObject("message").put("role", "assistant");
            if (turn.content.isEmpty() && !turn.toolCalls.isEmpty()) {
                message.putNull("content");
            } else {
                message.put("content", turn.content.toString());
            }
            if (!turn.reasoning.isEmpty()) {
                message.put("reasoning_content", turn.reasoning.toString());
            }
            if (!turn.toolCalls.isEmpty()) {
                message.set("tool_calls", turn.toolCalls);
            }
            choice.put("finish_reason", finishReason(candidate.path("finishReason").asText(null),
                    !turn.toolCalls.isEmpty()));
        }
        if (choices.isEmpty()) {
            // No candidate at all: the prompt itself was blocked.
            ObjectNode choice = choices.addObject().put("index", 0);
            choice.putObject("message").put("role", "assistant").put("content", "");
            choice.put("finish_reason", response.path("promptFeedback").has("blockReason") ? "content_filter" : "stop");
        }
        if (response.has("usageMetadata")) {
            completion.set("usage", usage(response.path("usageMetadata")));
        }
        return completion;
    }

    /** Gemini's finish reason as OpenAI's; null while a streamed candidate goes on. */
    static String finishReason(String reason, boolean calledTools) {
        if (reason == null || reason.isEmpty()) {
            return null;
        }
        return switch (reason) {
            case "MAX_TOKENS" -> "length";
            case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "LANGUAGE" ->
                    "content_filter";
            default -> calledTools ? "tool_calls" : "stop";
        };
    }

    static ObjectNode usage(JsonNode metadata) {
        int prompt = metadata.path("promptTokenCount").asInt(0);
        int thoughts = metadata.path("thoughtsTokenCount").asInt(0);
        int completion = metadata.path("candidatesTokenCount").asInt(0) + thoughts;
        ObjectNode usage = JSON.createObjectNode();
        usage.put("prompt_tokens", prompt);
        usage.put("completion_tokens", completion);
        usage.put("total_tokens", metadata.path("totalTokenCount").asInt(prompt + completion));
        if (metadata.has("cachedContentTokenCount")) {
            usage.putObject("prompt_tokens_details").put("cached_tokens",
                    metadata.path("cachedContentTokenCount").asInt());
        }
        usage.putObject("completion_tokens_details").put("reasoning_tokens", thoughts);
        return usage;
    }

    static String completionId(JsonNode answer) {
        String trace = answer.path("traceId").asText(answer.path("response").path("responseId").asText(""));
        return "chatcmpl-" + (trace.isEmpty() ? randomId(24) : trace);
    }

    static String toolCallId() {
        return "call_" + randomId(24);
    }

    private static String randomId(int length) {
        StringBuilder id = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            id.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return id.toString();
    }

    /** The parts of one candidate's content, sorted into OpenAI's fields. */
    static final class Turn {
        final StringBuilder content = new StringBuilder();
        final StringBuilder reasoning = new StringBuilder();
        final ArrayNode toolCalls = JSON.createArrayNode();

        static Turn of(JsonNode parts, ThoughtSignatures signatures) {
            Turn turn = new Turn();
            for (JsonNode part : parts) {
                if (part.has("functionCall")) {
                    JsonNode call = part.path("functionCall");
                    String id = call.path("id").asText("");
                    if (id.isEmpty()) {
                        id = toolCallId();
                    }
                    signatures.remember(id, part.path("thoughtSignature").asText(null));
                    ObjectNode toolCall = turn.toolCalls.addObject().put("id", id).put("type", "function");
                    ObjectNode function = toolCall.putObject("function").put("name", call.path("name").asText(""));
                    JsonNode args = call.path("args");
                    function.put("arguments", args.isMissingNode() || args.isNull() ? "{}" : args.toString());
                } else if (part.path("text").isTextual()) {
                    (part.path("thought").asBoolean(false) ? turn.reasoning : turn.content)
                            .append(part.path("text").asText());
                }
            }
            return turn;
        }
    }

    /**
     * Turns Code Assist's stream into OpenAI chunks, one upstream event at a time: the first chunk of
     * each choice carries the role, tool calls are numbered per choice, the finish reason comes with
     * the candidate's last event, and usage (when the client asked for it) in a last chunk of its own.
     */
    static final class StreamTranslator {

        private final String id;
        private final String model;
        private final long created;
        private final boolean includeUsage;
        private final ThoughtSignatures signatures;
        private final Set<Integer> started = new HashSet<>();
        private final Set<Integer> finished = new HashSet<>();
        private final Map<Integer, Integer> toolCallCounts = new HashMap<>();
        private JsonNode usage;

        StreamTranslator(String id, String model, long created, boolean includeUsage, ThoughtSignatures signatures) {
            this.id = id;
            this.model = model;
            this.created = created;
            this.includeUsage = includeUsage;
            this.signatures = signatures;
        }

        /** The chunks for one upstream event (possibly none). */
        ArrayNode event(JsonNode event) {
            JsonNode response = event.has("response") ? event.path("response") : event;
            ArrayNode chunks = JSON.createArrayNode();
            if (response.has("usageMetadata")) {
                usage = response.path("usageMetadata");
            }
            int position = 0;
            for (JsonNode candidate : response.path("candidates")) {
                int index = candidate.path("index").asInt(position++);
                if (finished.contains(index)) {
                    // A choice ends once: what Google sends after its finish reason (found by fuzzing) is dropped.
                    continue;
                }
                Turn turn = Turn.of(candidate.path("content").path("parts"), signatures);
                ObjectNode delta = JSON.createObjectNode();
                if (started.add(index)) {
                    delta.put("role", "assistant");
                }
                if (!turn.reasoning.isEmpty()) {
                    delta.put("reasoning_content", turn.reasoning.toString());
                }
                if (!turn.content.isEmpty()) {
                    delta.put("content", turn.content.toString());
                }
                if (!turn.toolCalls.isEmpty()) {
                    ArrayNode calls = delta.putArray("tool_calls");
                    for (JsonNode call : turn.toolCalls) {
                        int number = toolCallCounts.merge(index, 1, Integer::sum) - 1;
                        calls.add(((ObjectNode) call.deepCopy()).put("index", number));
                    }
                }
                String finish = finishReason(candidate.path("finishReason").asText(null),
                        toolCallCounts.getOrDefault(index, 0) > 0);
                if (finish != null) {
                    finished.add(index);
                }
                if (delta.isEmpty() && finish == null) {
                    continue;
                }
                chunks.add(chunk(index, delta, finish));
            }
            if (position == 0 && response.path("promptFeedback").has("blockReason") && finished.add(0)) {
                started.add(0);
                chunks.add(chunk(0, JSON.createObjectNode().put("role", "assistant").put("content", ""),
                        "content_filter"));
            }
            return chunks;
        }

        /** The chunks that close the stream: a finish reason for any choice left open, then usage. */
        ArrayNode end() {
            ArrayNode chunks = JSON.createArrayNode();
            for (int index : started) {
                if (finished.add(index)) {
                    chunks.add(chunk(index, JSON.createObjectNode(),
                            toolCallCounts.getOrDefault(index, 0) > 0 ? "tool_calls" : "stop"));
                }
            }
            if (includeUsage && usage != null) {
                ObjectNode last = base();
                last.putArray("choices");
                last.set("usage", usage(usage));
                chunks.add(last);
            }
            return chunks;
        }

        private ObjectNode chunk(int index, ObjectNode delta, String finish) {
            ObjectNode chunk = base();
            ObjectNode choice = chunk.putArray("choices").addObject().put("index", index);
            choice.set("delta", delta);
            if (finish == null) {
                choice.putNull("finish_reason");
            } else {
                choice.put("finish_reason", finish);
            }
            return chunk;
        }

        private ObjectNode base() {
            return JSON.createObjectNode().put("id", id).put("object", "chat.completion.chunk").put("created", created)
                    .put("model", model);
        }
    }
}
