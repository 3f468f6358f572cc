package io.rotor.plugins.gemini.internal;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Remembers the {@code thoughtSignature} Gemini attached to each function call it made, by the tool
 * call id Rotor gave the client, because OpenAI clients send tool calls back without it and Gemini 3
 * refuses a function call in the history whose signature is missing. Bounded: the oldest go first.
 */
final class ThoughtSignatures {

    /**
     * What Google documents for history that carries no signature (for example from another model):
     * Gemini then skips the signature check.
     */
    static final String SKIP_VALIDATION = "skip_thought_signature_validator";

    private final Map<String, String> byToolCallId;

    ThoughtSignatures(int capacity) {
        this.byToolCallId = new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
                return size() > capacity;
            }
        };
    }

    synchronized void remember(String toolCallId, String signature) {
        if (toolCallId != null && signature != null && !signature.isEmpty()) {
            byToolCallId.put(toolCallId, signature);
        }
    }

    /** The signature Gemini gave with this tool call, or null. */
    synchronized String find(String toolCallId) {
        return toolCallId == null ? null : byToolCallId.get(toolCallId);
    }
}
