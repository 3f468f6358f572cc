package io.rotor.plugins.k2think.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ThinkTagSplitterTest {

    @Test
    void sortsThinkingAndAnswerWhateverWayTheTagsAreCutIntoChunks() {
        String text = "<think>step one, step two</think>\n\nThe <b>answer</b> is <answer>42</answer>";
        for (int size = 1; size <= text.length(); size++) {
            ThinkTagSplitter splitter = new ThinkTagSplitter();
            StringBuilder content = new StringBuilder();
            StringBuilder reasoning = new StringBuilder();
            for (int i = 0; i < text.length(); i += size) {
                ThinkTagSplitter.Pieces pieces = splitter.feed(text.substring(i, Math.min(text.length(), i + size)));
                content.append(pieces.content());
                reasoning.append(pieces.reasoning());
            }
            ThinkTagSplitter.Pieces rest = splitter.flush();
            content.append(rest.content());
            reasoning.append(rest.reasoning());
            assertEquals("step one, step two", reasoning.toString(), "chunk size " + size);
            assertEquals("The <b>answer</b> is 42", content.toString(), "chunk size " + size);
        }
    }

    @Test
    void releasesAHeldBackPartialTagThatNeverCompletes() {
        ThinkTagSplitter splitter = new ThinkTagSplitter();
        assertEquals(new ThinkTagSplitter.Pieces("a ", ""), splitter.feed("a <thin"));
        assertEquals(new ThinkTagSplitter.Pieces("<thin", ""), splitter.flush());
    }

    @Test
    void leavesTextWithoutTagsAlone() {
        ThinkTagSplitter splitter = new ThinkTagSplitter();
        for (String chunk : List.of("if a < b ", "and b > c", " then <3")) {
            assertEquals(chunk, splitter.feed(chunk).content() + splitter.flush().content());
        }
    }

    @Test
    void aWholeMessageWithOnlyAClosingTagHasItsThinkingBeforeIt() {
        assertEquals(new ThinkTagSplitter.Pieces("Paris.", "The capital of France..."),
                ThinkTagSplitter.splitWhole("The capital of France...</think>\n\nParis."));
        assertEquals(new ThinkTagSplitter.Pieces("no thinking here", ""),
                ThinkTagSplitter.splitWhole("no thinking here"));
    }
}
