package io.rotor.plugins.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseReaderTest {

    @Test
    void readsEventsSeparatedByBlankLinesWithCommentsAndOtherFieldsSkipped() throws IOException {
        SseReader reader = reader(": keep-alive\n\nevent: message\nid: 1\ndata: {\"a\":1}\n\ndata:{\"b\":2}\n\n");
        assertEquals("{\"a\":1}", reader.next());
        assertEquals("{\"b\":2}", reader.next());
        assertNull(reader.next());
    }

    @Test
    void joinsMultiLineDataAndAcceptsCrLfAndCrLineEnds() throws IOException {
        SseReader reader = reader("data: one\r\ndata: two\r\n\r\ndata: three\r\rdata: four\n");
        assertEquals("one\ntwo", reader.next());
        assertEquals("three", reader.next());
        assertEquals("four", reader.next(), "an event cut off by the end of the stream still counts");
        assertNull(reader.next());
    }

    @Test
    void returnsAnEventAsSoonAsItIsCompleteEvenWhenTheBytesArriveOneByOne() throws IOException {
        byte[] bytes = "data: héllo\n\ndata: [DONE]\n\n".getBytes(StandardCharsets.UTF_8);
        List<Integer> readsBeforeFirstEvent = new ArrayList<>();
        InputStream trickle = new InputStream() {
            private int position;

            @Override
            public int read() {
                return position < bytes.length ? bytes[position++] & 0xff : -1;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) {
                if (position >= bytes.length) {
                    return -1;
                }
                buffer[offset] = bytes[position++];
                readsBeforeFirstEvent.add(position);
                return 1;
            }
        };
        SseReader reader = new SseReader(trickle);
        assertEquals("héllo", reader.next());
        // The first event ends at its blank line: the reader must not have asked for anything after it.
        assertEquals("data: héllo\n\n".getBytes(StandardCharsets.UTF_8).length,
                readsBeforeFirstEvent.get(readsBeforeFirstEvent.size() - 1));
        assertEquals("[DONE]", reader.next());
        assertNull(reader.next());
    }

    private static SseReader reader(String text) {
        return new SseReader(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
    }
}
