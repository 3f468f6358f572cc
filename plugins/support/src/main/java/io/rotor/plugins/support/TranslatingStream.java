package io.rotor.plugins.support;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;

/**
 * A body produced piece by piece from an upstream stream, for example one OpenAI chunk per
 * upstream event: each read asks for the next piece only when the previous one was read, so
 * nothing is buffered beyond one event and every piece reaches the client as soon as it exists.
 */
public final class TranslatingStream extends InputStream {

    /** Produces the next piece of the body. */
    @FunctionalInterface
    public interface Producer {
        /**
         * Writes the next piece to {@code out} (it may write nothing and be called again).
         *
         * @return false once the body is complete
         * @throws IOException if the upstream failed; the engine ends the client's stream with an error event
         */
        boolean next(ByteArrayOutputStream out) throws IOException;
    }

    private final Producer producer;
    private final Closeable upstream;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private byte[] chunk = new byte[0];
    private int offset;
    private boolean finished;

    public TranslatingStream(Producer producer, Closeable upstream) {
        this.producer = producer;
        this.upstream = upstream;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int off, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        while (offset == chunk.length) {
            if (finished) {
                return -1;
            }
            pending.reset();
            finished = !producer.next(pending);
            chunk = pending.toByteArray();
            offset = 0;
        }
        int n = Math.min(length, chunk.length - offset);
        System.arraycopy(chunk, offset, buffer, off, n);
        offset += n;
        return n;
    }

    @Override
    public void close() throws IOException {
        finished = true;
        upstream.close();
    }
}
