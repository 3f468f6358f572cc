package io.rotor.core.engine.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rotor.plugins.support.SseReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The SSE relay: an upstream body arriving in arbitrary pieces, possibly failing part-way, read by the
 * client side in arbitrary pieces. {@link RelayStream} passes every byte through unchanged and, when the
 * upstream fails, ends an event stream with exactly one error event and no {@code [DONE]};
 * {@link SseReader} (the adapters' event reader) finds the same events however the bytes are split.
 */
class SseRelayFuzzTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @FuzzTest(maxDuration = "30s")
    void relaysEveryByteThenAtMostOneErrorEventAndReadsEventsAlikeHoweverSplit(FuzzedDataProvider data)
            throws IOException {
        boolean eventStream = data.consumeBoolean();
        int[] upstreamPieces = data.consumeInts(6);
        int[] clientPieces = data.consumeInts(6);
        int failAt = data.consumeInt(-1, 1 << 16);
        byte[] body = data.consumeRemainingAsBytes();
        boolean fails = failAt >= 0 && failAt <= body.length;

        RelayStream relay = new RelayStream(new PiecewiseStream(body, upstreamPieces, fails ? failAt : -1), eventStream);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        IOException failure = readAll(relay, clientPieces, out);
        byte[] relayed = out.toByteArray();

        if (!fails) {
            assertEquals(null, failure);
            assertArrayEquals(body, relayed);
            assertTrue(relay.completed());
        } else if (!eventStream) {
            assertTrue(failure != null, "a failed plain body must fail the client's read");
            assertArrayEquals(Arrays.copyOf(body, failAt), relayed);
            assertFalse(relay.completed());
        } else {
            assertEquals(null, failure);
            assertFalse(relay.completed());
            assertArrayEquals(Arrays.copyOf(body, failAt), Arrays.copyOf(relayed, failAt));
            String tail = new String(relayed, failAt, relayed.length - failAt, StandardCharsets.UTF_8);
            assertTrue(tail.startsWith("data: ") && tail.endsWith("\n\n") && tail.indexOf("\n\n") == tail.length() - 2,
                    () -> "not one event: " + tail);
            JsonNode event = JSON.readTree(tail.substring(6));
            assertEquals("upstream_error", event.path("error").path("code").asText());
            assertFalse(tail.contains("[DONE]"));
        }
        // Once ended, it stays ended.
        assertEquals(-1, relay.read());

        assertEquals(reference(body), events(new ByteArrayInputStream(body)), "events of the whole body");
        assertEquals(reference(body), events(new PiecewiseStream(body, upstreamPieces, -1)), "events of the pieces");
    }

    /** Reads in pieces of the given sizes (0 included); returns the failure that ended the read, if any. */
    private static IOException readAll(InputStream in, int[] pieces, ByteArrayOutputStream out) {
        byte[] buffer = new byte[300];
        int turn = 0;
        try {
            while (true) {
                int length = pieces.length == 0 ? 256 : Math.floorMod(pieces[turn++ % pieces.length], 257);
                if (length == 0 && (turn & 1) == 0) {
                    length = 1;  // reads of 0 bytes between reads that move on
                }
                int n = in.read(buffer, 7, length);
                if (n < 0) {
                    return null;
                }
                if (length == 0) {
                    assertEquals(0, n, "a read of 0 bytes returns 0");
                }
                out.write(buffer, 7, n);
                if (turn > 1_000_000) {
                    throw new AssertionError("no end in sight");
                }
            }
        } catch (IOException e) {
            return e;
        }
    }

    private static List<String> events(InputStream in) throws IOException {
        List<String> events = new ArrayList<>();
        try (SseReader reader = new SseReader(in)) {
            for (String event; (event = reader.next()) != null; ) {
                events.add(event);
            }
        }
        return events;
    }

    /** SseReader's contract written the plain way: lines end at CRLF, CR or LF; data lines join with LF. */
    private static List<String> reference(byte[] body) {
        List<String> events = new ArrayList<>();
        StringBuilder data = null;
        int start = 0;
        int i = 0;
        while (start < body.length) {
            while (i < body.length && body[i] != '\n' && body[i] != '\r') {
                i++;
            }
            String line = new String(body, start, i - start, StandardCharsets.UTF_8);
            if (i < body.length && body[i] == '\r' && i + 1 < body.length && body[i + 1] == '\n') {
                i++;
            }
            start = ++i;
            if (line.isEmpty()) {
                if (data != null) {
                    events.add(data.toString());
                    data = null;
                }
            } else if (line.startsWith("data:")) {
                String value = line.startsWith("data: ") ? line.substring(6) : line.substring(5);
                data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
            }
        }
        if (data != null) {
            events.add(data.toString());
        }
        return events;
    }

    /** The upstream: hands out the body in pieces of the given sizes, and fails once {@code failAt} bytes went out. */
    private static final class PiecewiseStream extends InputStream {
        private final byte[] body;
        private final int[] pieces;
        private final int failAt;
        private int position;
        private int turn;

        PiecewiseStream(byte[] body, int[] pieces, int failAt) {
            this.body = body;
            this.pieces = pieces;
            this.failAt = failAt;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (length == 0) {
                return 0;
            }
            int end = failAt >= 0 ? failAt : body.length;
            if (position == end) {
                if (failAt >= 0) {
                    throw new IOException("connection reset");
                }
                return -1;
            }
            int piece = pieces.length == 0 ? length : 1 + Math.floorMod(pieces[turn++ % pieces.length], 97);
            int n = Math.min(Math.min(piece, length), end - position);
            System.arraycopy(body, position, buffer, offset, n);
            position += n;
            return n;
        }
    }
}
