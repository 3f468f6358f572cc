package io.rotor.plugins.k2think.internal;

import java.util.List;

/**
 * Separates a reasoning model's thinking from its answer in streamed text: what stands between
 * {@code <think>} and {@code </think>} is reasoning, the rest is content, and {@code <answer>} tags
 * are dropped. A tag split across two chunks is held back until the next chunk completes it.
 */
final class ThinkTagSplitter {

    static final String THINK_OPEN = "<think>";
    static final String THINK_CLOSE = "</think>";
    private static final List<String> TAGS = List.of(THINK_OPEN, THINK_CLOSE, "<answer>", "</answer>");

    /** Text of one chunk, sorted; either part may be empty. */
    record Pieces(String content, String reasoning) {
        static final Pieces NONE = new Pieces("", "");

        boolean isEmpty() {
            return content.isEmpty() && reasoning.isEmpty();
        }
    }

    private boolean thinking;
    private boolean afterThinking;
    private String held = "";

    /** Sorts the next chunk of text; a partial tag at its end is kept for the next call. */
    Pieces feed(String text) {
        String input = held + text;
        held = "";
        StringBuilder content = new StringBuilder();
        StringBuilder reasoning = new StringBuilder();
        int i = 0;
        int runStart = 0;
        while (i < input.length()) {
            if (input.charAt(i) != '<') {
                i++;
                continue;
            }
            String rest = input.substring(i);
            String tag = TAGS.stream().filter(rest::startsWith).findFirst().orElse(null);
            if (tag == null && TAGS.stream().anyMatch(t -> t.startsWith(rest))) {
                append(input.substring(runStart, i), content, reasoning);
                held = rest;
                return new Pieces(content.toString(), reasoning.toString());
            }
            if (tag == null) {
                i++;
                continue;
            }
            append(input.substring(runStart, i), content, reasoning);
            if (tag.equals(THINK_OPEN)) {
                thinking = true;
            } else if (tag.equals(THINK_CLOSE)) {
                thinking = false;
                afterThinking = true;
            }
            i += tag.length();
            runStart = i;
        }
        append(input.substring(runStart), content, reasoning);
        return new Pieces(content.toString(), reasoning.toString());
    }

    /** Releases text held back for a tag that never completed. */
    Pieces flush() {
        String rest = held;
        held = "";
        StringBuilder content = new StringBuilder();
        StringBuilder reasoning = new StringBuilder();
        append(rest, content, reasoning);
        return new Pieces(content.toString(), reasoning.toString());
    }

    private void append(String run, StringBuilder content, StringBuilder reasoning) {
        if (run.isEmpty()) {
            return;
        }
        if (thinking) {
            reasoning.append(run);
            return;
        }
        if (afterThinking) {
            // The answer usually starts with the blank lines that followed </think>.
            run = run.stripLeading();
            if (run.isEmpty()) {
                return;
            }
            afterThinking = false;
        }
        content.append(run);
    }

    /**
     * Sorts a whole message. Unlike a stream, it can also honour a lone {@code </think>}: models whose
     * chat template opens the thinking block in the prompt only ever write its end.
     */
    static Pieces splitWhole(String text) {
        String input = text;
        if (!input.contains(THINK_OPEN) && input.contains(THINK_CLOSE)) {
            input = THINK_OPEN + input;
        }
        ThinkTagSplitter splitter = new ThinkTagSplitter();
        Pieces first = splitter.feed(input);
        Pieces last = splitter.flush();
        return new Pieces((first.content() + last.content()).strip(), (first.reasoning() + last.reasoning()).strip());
    }
}
