package io.rotor.core.engine.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RelayStreamTest {

    /** An upstream event stream that sends one event, then fails. */
    private static InputStream failingAfter(String sent) {
        return new InputStream() {
            private boolean done;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                if (done) {
                    throw new IOException("connection reset");
                }
                done = true;
                byte[] bytes = sent.getBytes(StandardCharsets.UTF_8);
                System.arraycopy(bytes, 0, buffer, offset, bytes.length);
                return bytes.length;
            }
        };
    }

    /** Found by fuzzing: a read of 0 bytes while the error event drained ended the stream half-way through it. */
    @Test
    void readsOfZeroBytesReturnZeroAndTheErrorEventArrivesWhole() throws IOException {
        RelayStream relay = new RelayStream(failingAfter("data: {\"a\":1}\n\n"), true);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[64];
        int n;
        while ((n = relay.read(buffer, 0, out.size() == 0 ? 64 : 5)) >= 0) {
            out.write(buffer, 0, n);
            assertEquals(0, relay.read(buffer, 0, 0));
        }
        String relayed = out.toString(StandardCharsets.UTF_8);
        assertTrue(relayed.startsWith("data: {\"a\":1}\n\ndata: {\"error\""), relayed);
        assertTrue(relayed.endsWith("\"code\":\"upstream_error\",\"param\":null}}\n\n"), relayed);
        assertFalse(relayed.contains("[DONE]"));
        assertFalse(relay.completed());
    }
}
