package io.rotor.plugins.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TranslatingStreamTest {

    @Test
    void producesEachPieceOnlyWhenThePreviousOneWasRead() throws IOException {
        Iterator<String> pieces = List.of("first ", "", "second").iterator();
        AtomicInteger produced = new AtomicInteger();
        TranslatingStream stream = new TranslatingStream(out -> {
            produced.incrementAndGet();
            out.write(pieces.next().getBytes(StandardCharsets.UTF_8));
            return pieces.hasNext();
        }, () -> { });

        byte[] buffer = new byte[64];
        int n = stream.read(buffer, 0, buffer.length);
        assertEquals("first ", new String(buffer, 0, n, StandardCharsets.UTF_8));
        assertEquals(1, produced.get(), "nothing beyond the first piece was asked for");
        n = stream.read(buffer, 0, buffer.length);
        assertEquals("second", new String(buffer, 0, n, StandardCharsets.UTF_8), "an empty piece is skipped");
        assertEquals(-1, stream.read(buffer, 0, buffer.length));
    }

    @Test
    void passesAnUpstreamFailureOnAndClosesTheUpstream() throws IOException {
        AtomicBoolean closed = new AtomicBoolean();
        TranslatingStream stream = new TranslatingStream(out -> {
            throw new IOException("connection reset");
        }, () -> closed.set(true));
        assertThrows(IOException.class, stream::read);
        stream.close();
        assertTrue(closed.get());
    }
}
