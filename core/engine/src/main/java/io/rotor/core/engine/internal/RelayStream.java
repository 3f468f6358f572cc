package io.rotor.core.engine.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * The upstream body on its way to the client. For an event stream, a failure after bytes have
 * gone out cannot be retried: it ends the stream with one error event and no {@code [DONE]}.
 * Remembers whether the body was read to its end, which decides the request's outcome.
 */
final class RelayStream extends InputStream {

    private static final byte[] STREAM_ERROR = ("data: {\"error\":{\"message\":\"The upstream stream failed before it"
            + " finished.\",\"type\":\"upstream_error\",\"code\":\"upstream_error\",\"param\":null}}\n\n")
            .getBytes(StandardCharsets.UTF_8);

    private final InputStream upstream;
    private final boolean eventStream;
    private byte[] pendingError;
    private int pendingOffset;
    private boolean completed;
    private boolean failed;

    RelayStream(InputStream upstream, boolean eventStream) {
        this.upstream = upstream;
        this.eventStream = eventStream;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        if (length == 0) {
            // InputStream's contract; it used to end the stream half-way through the error event (found by fuzzing).
            return 0;
        }
        if (pendingError != null) {
            return drainError(buffer, offset, length);
        }
        if (failed || completed) {
            return -1;
        }
        try {
            int n = upstream.read(buffer, offset, length);
            if (n < 0) {
                completed = true;
            }
            return n;
        } catch (IOException e) {
            failed = true;
            if (!eventStream) {
                throw e;
            }
            pendingError = STREAM_ERROR;
            return drainError(buffer, offset, length);
        }
    }

    /** True once the upstream body was read to its end without error. */
    boolean completed() {
        return completed;
    }

    @Override
    public void close() throws IOException {
        upstream.close();
    }

    private int drainError(byte[] buffer, int offset, int length) {
        int n = Math.min(length, pendingError.length - pendingOffset);
        if (n <= 0) {
            pendingError = null;
            return -1;
        }
        System.arraycopy(pendingError, pendingOffset, buffer, offset, n);
        pendingOffset += n;
        return n;
    }
}
