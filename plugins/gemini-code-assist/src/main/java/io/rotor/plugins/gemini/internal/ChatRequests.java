package io.rotor.plugins.gemini.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rotor.plugins.support.UpstreamRefusal;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An OpenAI chat request as Code Assist's {@code request}: messages become {@code contents} (user and
 * tool results as {@code user}, assistant as {@code model}), system and developer messages the
 * {@code systemInstruction}, tools {@code functionDeclarations}, sampling options the
 * {@code generationConfig} and {@code reasoning_effort} a thinking budget.
 */
final class ChatRequests {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ImageParts images;
    private final ThoughtSignatures signatures;

    ChatRequests(ImageParts images, ThoughtSignatures signatures) {
        this.images = images;
        this.signatures = signatures;
    }

    /**
     * Translates the client's body.
     *
     * @throws UpstreamRefusal 400 for a request Code Assist cannot express (or an image that cannot be read)
     */
    ObjectNode translate(JsonNode body, String model) throws UpstreamRefusal {
        JsonNode messages = body.path("messages");
        if (!messages.isArray() || messages.isEmpty()) {
            throw bad("'messages' must be a non-empty array.");
        }
        ObjectNode request = JSON.createObjectNode();
        ArrayNode contents = request.putArray("contents");
        ArrayNode system = JSON.createArrayNode();
        Map<String, String> toolNames = new HashMap<>();
        for (JsonNode message : messages) {
            String role = message.path("role").asText("");
            switch (role) {
                case "system", "developer" -> {
                    String text = text(message.path("content"), role);
                    if (!text.isEmpty()) {
                        system.addObject().put("text", text);
                    }
                }
                case "user" -> append(contents, "user", userParts(message.path("content")));
                case "assistant" -> append(contents, "model", modelParts(message, toolNames, model));
                case "tool", "function" -> append(contents, "user", List.of(functionResponse(message, toolNames)));
                default -> throw bad("Unsupported message role '" + role + "'.");
            }
        }
        if (contents.isEmpty()) {
            throw bad("The request needs at least one user message.");
        }
        if (!system.isEmpty()) {
            request.putObject("systemInstruction").set("parts", system);
        }
        tools(body, request);
        ObjectNode generation = generationConfig(body, model);
        if (!generation.isEmpty()) {
            request.set("generationConfig", generation);
        }
        return request;
    }

    /** Adds a turn, merging it into the previous one of the same role (Gemini wants turns to alternate). */
    private static void append(ArrayNode contents, String role, List<ObjectNode> parts) {
        if (parts.isEmpty()) {
            return;
        }
        JsonNode last = contents.isEmpty() ? null : contents.get(contents.size() - 1);
        ArrayNode target;
        if (last != null && role.equals(last.path("role").asText())) {
            target = (ArrayNode) last.path("parts");
        } else {
            ObjectNode content = contents.addObject().put("role", role);
            target = content.putArray("parts");
        }
        parts.forEach(target::add);
    }

    private List<ObjectNode> userParts(JsonNode content) throws UpstreamRefusal {
        List<ObjectNode> parts = new ArrayList<>();
        if (content.isTextual()) {
            if (!content.asText().isEmpty()) {
                parts.add(textPart(content.asText()));
            }
            return parts;
        }
        if (content.isNull() || content.isMissingNode()) {
            return parts;
        }
        if (!content.isArray()) {
            throw bad("A user message's content must be a string or an array of parts.");
        }
        for (JsonNode part : content) {
            String type = part.path("type").asText("");
            switch (type) {
                case "text" -> {
                    if (!part.path("text").asText("").isEmpty()) {
                        parts.add(textPart(part.path("text").asText()));
                    }
                }
                case "image_url" -> {
                    JsonNode image = part.path("image_url");
                    parts.add(images.part(image.isTextual() ? image.asText() : image.path("url").asText(null)));
                }
                case "input_audio" -> {
                    String format = part.path("input_audio").path("format").asText("wav");
                    parts.add(ImageParts.inline("audio/" + format, part.path("input_audio").path("data").asText("")));
                }
                case "file" -> {
                    String data = part.path("file").path("file_data").asText("");
                    if (!data.startsWith("data:")) {
                        throw bad("A file part needs its content as a data URL in 'file_data'.");
                    }
                    parts.add(images.part(data));
                }
                default -> throw bad("Unsupported content part type '" + type + "'.");
            }
        }
        return parts;
    }

    private List<ObjectNode> modelParts(JsonNode message, Map<String, String> toolNames, String model)
            throws UpstreamRefusal {
        List<ObjectNode> parts = new ArrayList<>();
        String text = text(message.path("content"), "assistant");
        if (!text.isEmpty()) {
            parts.add(textPart(text));
        }
        boolean first = true;
        for (JsonNode call : message.path("tool_calls")) {
            JsonNode function = call.path("function");
            String name = function.path("name").asText("");
            if (name.isEmpty()) {
                throw bad("An assistant tool call has no function name.");
            }
            String id = call.path("id").asText(null);
            if (id != null) {
                toolNames.put(id, name);
            }
            ObjectNode part = JSON.createObjectNode();
            ObjectNode functionCall = part.putObject("functionCall").put("name", name);
            functionCall.set("args", arguments(function.path("arguments")));
            String signature = signatures.find(id);
            if (signature == null && first && model.startsWith("gemini-3")) {
                signature = ThoughtSignatures.SKIP_VALIDATION;
            }
            if (signature != null) {
                part.put("thoughtSignature", signature);
            }
            parts.add(part);
            first = false;
        }
        JsonNode legacy = message.path("function_call");
        if (legacy.isObject()) {
            ObjectNode part = JSON.createObjectNode();
            part.putObject("functionCall").put("name", legacy.path("name").asText("")).set("args",
                    arguments(legacy.path("arguments")));
            parts.add(part);
        }
        return parts;
    }

    private static ObjectNode functionResponse(JsonNode message, Map<String, String> toolNames)
            throws UpstreamRefusal {
        String id = message.path("tool_call_id").asText(null);
        String name = id != null ? toolNames.get(id) : null;
        if (name == null) {
            name = message.path("name").asText(id != null ? id : "tool");
        }
        String output = text(message.path("content"), "tool");
        JsonNode parsed = parseQuietly(output);
        ObjectNode part = JSON.createObjectNode();
        ObjectNode functionResponse = part.putObject("functionResponse").put("name", name);
        if (parsed != null && parsed.isObject()) {
            functionResponse.set("response", parsed);
        } else {
            // Gemini wants an object; the Gemini CLI sends tool output as {"output": …} too.
            functionResponse.putObject("response").put("output", output);
        }
        return part;
    }

    private static void tools(JsonNode body, ObjectNode request) throws UpstreamRefusal {
        JsonNode tools = body.path("tools");
        if (tools.isArray() && !tools.isEmpty()) {
            ArrayNode declarations = JSON.createArrayNode();
            for (JsonNode tool : tools) {
                if (!"function".equals(tool.path("type").asText("function"))) {
                    throw bad("Only function tools are supported, not '" + tool.path("type").asText() + "'.");
                }
                JsonNode function = tool.path("function");
                if (!function.path("name").isTextual()) {
                    throw bad("A tool has no function name.");
                }
                ObjectNode declaration = declarations.addObject().put("name", function.path("name").asText());
                if (function.path("description").isTextual()) {
                    declaration.put("description", function.path("description").asText());
                }
                if (function.path("parameters").isObject()) {
                    // JSON Schema as OpenAI clients write it; "parameters" would take only an OpenAPI subset.
                    declaration.set("parametersJsonSchema", function.path("parameters"));
                }
            }
            request.putArray("tools").addObject().set("functionDeclarations", declarations);
        }
        JsonNode choice = body.path("tool_choice");
        ObjectNode config = JSON.createObjectNode();
        if (choice.isTextual()) {
            switch (choice.asText()) {
                case "none" -> config.put("mode", "NONE");
                case "auto" -> config.put("mode", "AUTO");
                case "required" -> config.put("mode", "ANY");
                default -> throw bad("Unsupported tool_choice '" + choice.asText() + "'.");
            }
        } else if (choice.isObject()) {
            String name = choice.path("function").path("name").asText("");
            if (name.isEmpty()) {
                throw bad("tool_choice names no function.");
            }
            config.put("mode", "ANY").putArray("allowedFunctionNames").add(name);
        }
        if (!config.isEmpty()) {
            request.putObject("toolConfig").set("functionCallingConfig", config);
        }
    }

    private static ObjectNode generationConfig(JsonNode body, String model) throws UpstreamRefusal {
        ObjectNode config = JSON.createObjectNode();
        copyNumber(body, "temperature", config, "temperature");
        copyNumber(body, "top_p", config, "topP");
        copyNumber(body, "top_k", config, "topK");
        copyNumber(body, "presence_penalty", config, "presencePenalty");
        copyNumber(body, "frequency_penalty", config, "frequencyPenalty");
        copyNumber(body, "seed", config, "seed");
        copyNumber(body, "n", config, "candidateCount");
        copyNumber(body, "max_tokens", config, "maxOutputTokens");
        copyNumber(body, "max_completion_tokens", config, "maxOutputTokens");
        JsonNode stop = body.path("stop");
        if (stop.isTextual()) {
            config.putArray("stopSequences").add(stop.asText());
        } else if (stop.isArray() && !stop.isEmpty()) {
            config.set("stopSequences", stop);
        }
        JsonNode format = body.path("response_format");
        switch (format.path("type").asText("text")) {
            case "json_object" -> config.put("responseMimeType", "application/json");
            case "json_schema" -> {
                config.put("responseMimeType", "application/json");
                JsonNode schema = format.path("json_schema").path("schema");
                if (schema.isObject()) {
                    config.set("responseJsonSchema", schema);
                }
            }
            default -> {
                // text: Gemini's default
            }
        }
        ObjectNode thinking = thinkingConfig(body.path("reasoning_effort"), model);
        config.set("thinkingConfig", thinking);
        return config;
    }

    /**
     * {@code reasoning_effort} as a thinking budget (tokens) within what each model family accepts:
     * Pro models cannot turn thinking off (minimum 128), Flash and Flash-Lite can (0). Without it the
     * model thinks as much as it decides. Thoughts are always asked for, so they come back as reasoning.
     */
    static ObjectNode thinkingConfig(JsonNode effort, String model) throws UpstreamRefusal {
        ObjectNode thinking = JSON.createObjectNode();
        boolean pro = model.contains("-pro");
        if (effort.isTextual()) {
            int budget = switch (effort.asText().toLowerCase(Locale.ROOT)) {
                case "none" -> pro ? 128 : 0;
                case "minimal" -> 512;
                case "low" -> 1024;
                case "medium" -> 8192;
                case "high" -> 24576;
                case "xhigh" -> pro ? 32768 : 24576;
                default -> throw bad("Unsupported reasoning_effort '" + effort.asText()
                        + "' (none, minimal, low, medium, high or xhigh).");
            };
            thinking.put("thinkingBudget", budget);
            thinking.put("includeThoughts", budget > 0);
            return thinking;
        }
        thinking.put("includeThoughts", true);
        return thinking;
    }

    private static void copyNumber(JsonNode body, String from, ObjectNode config, String to) throws UpstreamRefusal {
        JsonNode value = body.path(from);
        if (value.isMissingNode() || value.isNull()) {
            return;
        }
        if (!value.isNumber()) {
            throw bad("'" + from + "' must be a number.");
        }
        config.set(to, value);
    }

    /** The text of a content that is a string or an array of text parts. */
    private static String text(JsonNode content, String role) throws UpstreamRefusal {
        if (content.isTextual()) {
            return content.asText();
        }
        if (content.isNull() || content.isMissingNode()) {
            return "";
        }
        if (content.isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : content) {
                if (part.isTextual()) {
                    text.append(part.asText());
                } else if ("text".equals(part.path("type").asText())) {
                    text.append(part.path("text").asText(""));
                } else {
                    throw bad("A " + role + " message may only hold text parts.");
                }
            }
            return text.toString();
        }
        throw bad("A " + role + " message's content must be a string or an array of text parts.");
    }

    private static ObjectNode textPart(String text) {
        return JSON.createObjectNode().put("text", text);
    }

    private static JsonNode arguments(JsonNode arguments) throws UpstreamRefusal {
        if (arguments.isObject()) {
            return arguments;
        }
        String text = arguments.asText("");
        if (text.isBlank()) {
            return JSON.createObjectNode();
        }
        JsonNode parsed = parseQuietly(text);
        if (parsed == null || !parsed.isObject()) {
            throw bad("A tool call's arguments must be a JSON object.");
        }
        return parsed;
    }

    private static JsonNode parseQuietly(String text) {
        try {
            return text == null || text.isBlank() ? null : JSON.readTree(text);
        } catch (IOException e) {
            return null;
        }
    }

    private static UpstreamRefusal bad(String message) {
        return new UpstreamRefusal(400, message);
    }
}
