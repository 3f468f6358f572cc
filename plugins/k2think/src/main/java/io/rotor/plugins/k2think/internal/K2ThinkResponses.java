package io.rotor.plugins.k2think.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rotor.api.UpstreamResponse;
import io.rotor.plugins.support.SseReader;
import io.rotor.plugins.support.TranslatingStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * K2 Think's chat answers in the shape the proxy returns: OpenAI's, with the model's thinking in
 * {@code reasoning_content} whether K2 Think sent it in {@code <think>} tags inside the content or
 * in a {@code reasoning} field.
 */
final class K2ThinkResponses {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8);

    private K2ThinkResponses() {
    }

    /** Translates a 2xx chat response, streamed or not, as it arrives. */
    static UpstreamResponse translate(UpstreamResponse upstream, String model, Clock clock) throws IOException {
        String contentType = upstream.header("Content-Type");
        if (contentType != null && contentType.toLowerCase().startsWith("text/event-stream")) {
            EventTranslator translator = new EventTranslator(new SseReader(upstream.body()));
            return new UpstreamResponse(upstream.status(), Map.of("Content-Type", List.of("text/event-stream")),
                    new TranslatingStream(translator::next, upstream), null);
        }
        byte[] raw;
        try (upstream) {
            raw = upstream.body().readAllBytes();
        }
        return new UpstreamResponse(upstream.status(), Map.of("Content-Type", List.of("application/json")),
                new ByteArrayInputStream(completion(raw, model, clock)), null);
    }

    /** A whole chat completion: fills in what OpenAI clients expect and moves the thinking out of the content. */
    static byte[] completion(byte[] raw, String model, Clock clock) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(raw);
        } catch (IOException e) {
            return raw; // not JSON: nothing to translate, the client sees what K2 Think said
        }
        if (!(root instanceof ObjectNode completion) || !completion.path("choices").isArray()) {
            return raw;
        }
        if (!completion.path("id").isTextual()) {
            completion.put("id", "chatcmpl-" + UUID.randomUUID().toString().replace("-", ""));
        }
        completion.put("object", "chat.completion");
        if (!completion.path("created").isNumber()) {
            completion.put("created", clock.instant().getEpochSecond());
        }
        if (!completion.path("model").isTextual() && model != null) {
            completion.put("model", model);
        }
        for (JsonNode choice : completion.path("choices")) {
            if (choice.path("message") instanceof ObjectNode message) {
                moveReasoning(message);
            }
        }
        return JSON.writeValueAsBytes(completion);
    }

    /** Moves {@code reasoning} and {@code <think>…</think>} into {@code reasoning_content}. */
    private static void moveReasoning(ObjectNode message) {
        StringBuilder reasoning = new StringBuilder(message.path("reasoning_content").asText(""));
        if (message.path("reasoning").isTextual()) {
            reasoning.append(message.remove("reasoning").asText());
        }
        if (message.path("content").isTextual()) {
            ThinkTagSplitter.Pieces pieces = ThinkTagSplitter.splitWhole(message.path("content").asText());
            message.put("content", pieces.content());
            reasoning.append(pieces.reasoning());
        }
        if (!reasoning.isEmpty()) {
            message.put("reasoning_content", reasoning.toString());
        }
    }

    /** Rewrites K2 Think's chunks one event at a time. */
    static final class EventTranslator {

        private final SseReader events;
        private final Map<Integer, ThinkTagSplitter> splitters = new HashMap<>();
        private boolean done;

        EventTranslator(SseReader events) {
            this.events = events;
        }

        boolean next(ByteArrayOutputStream out) throws IOException {
            if (done) {
                return false;
            }
            String data = events.next();
            if (data == null || data.strip().equals("[DONE]")) {
                // The stream ended: release what waited for a tag, then end as OpenAI does.
                flush(out);
                out.write(DONE);
                done = true;
                return false;
            }
            JsonNode event;
            try {
                event = JSON.readTree(data);
            } catch (IOException e) {
                return true; // not a JSON event (keep-alive noise): nothing for the client
            }
            if (!(event instanceof ObjectNode chunk)) {
                return true;
            }
            if (chunk.has("choices")) {
                translate(chunk);
                if (chunk.path("choices").isEmpty() && !chunk.has("usage")) {
                    return true;
                }
                write(out, chunk);
            } else if (chunk.has("error") || chunk.has("usage")) {
                write(out, chunk);
            }
            // Anything else is the web app's own bookkeeping (sources, titles, …), not OpenAI's.
            return true;
        }

        private void translate(ObjectNode chunk) {
            chunk.put("object", "chat.completion.chunk");
            ArrayNode kept = JSON.createArrayNode();
            for (JsonNode choiceNode : chunk.path("choices")) {
                if (!(choiceNode instanceof ObjectNode choice)) {
                    continue;
                }
                int index = choice.path("index").asInt(0);
                ObjectNode delta = choice.path("delta") instanceof ObjectNode d ? d : choice.putObject("delta");
                ThinkTagSplitter splitter = splitters.computeIfAbsent(index, i -> new ThinkTagSplitter());
                StringBuilder reasoning = new StringBuilder(delta.path("reasoning_content").asText(""));
                if (delta.path("reasoning").isTextual()) {
                    reasoning.append(delta.remove("reasoning").asText());
                }
                StringBuilder content = new StringBuilder();
                if (delta.path("content").isTextual()) {
                    ThinkTagSplitter.Pieces pieces = splitter.feed(delta.path("content").asText());
                    content.append(pieces.content());
                    reasoning.append(pieces.reasoning());
                }
                boolean finished = choice.hasNonNull("finish_reason");
                if (finished) {
                    ThinkTagSplitter.Pieces rest = splitter.flush();
                    content.append(rest.content());
                    reasoning.append(rest.reasoning());
                }
                delta.remove("content");
                delta.remove("reasoning_content");
                if (!reasoning.isEmpty()) {
                    delta.put("reasoning_content", reasoning.toString());
                }
                if (!content.isEmpty()) {
                    delta.put("content", content.toString());
                }
                if (finished || !delta.isEmpty()) {
                    kept.add(choice);
                }
            }
            chunk.set("choices", kept);
        }

        private void flush(ByteArrayOutputStream out) throws IOException {
            for (Map.Entry<Integer, ThinkTagSplitter> entry : splitters.entrySet()) {
                ThinkTagSplitter.Pieces rest = entry.getValue().flush();
                if (rest.isEmpty()) {
                    continue;
                }
                ObjectNode chunk = JSON.createObjectNode().put("object", "chat.completion.chunk");
                ObjectNode choice = chunk.putArray("choices").addObject().put("index", entry.getKey());
                ObjectNode delta = choice.putObject("delta");
                if (!rest.reasoning().isEmpty()) {
                    delta.put("reasoning_content", rest.reasoning());
                }
                if (!rest.content().isEmpty()) {
                    delta.put("content", rest.content());
                }
                choice.putNull("finish_reason");
                write(out, chunk);
            }
        }

        private static void write(ByteArrayOutputStream out, JsonNode chunk) throws IOException {
            out.write("data: ".getBytes(StandardCharsets.UTF_8));
            out.write(JSON.writeValueAsBytes(chunk));
            out.write("\n\n".getBytes(StandardCharsets.UTF_8));
        }
    }
}
