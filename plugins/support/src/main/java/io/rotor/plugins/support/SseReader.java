package io.rotor.plugins.support;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads server-sent events from a body as they arrive: each call returns the data of the next
 * event as soon as its terminating blank line came in, without waiting for more of the stream.
 */
public final class SseReader implements Closeable {

    /** A line longer than this is not an event stream worth following. */
    private static final int MAX_LINE_BYTES = 32 * 1024 * 1024;

    private final InputStream in;
    private final byte[] buffer = new byte[8192];
    private int position;
    private int limit;
    private boolean eof;
    private boolean skipLineFeed;

    public SseReader(InputStream in) {
        this.in = in;
    }

    /**
     * Returns the data of the next event (its {@code data:} lines joined by newlines), or null at
     * the end of the stream. Comments, {@code event:}, {@code id:} and events without data are skipped.
     */
    public String next() throws IOException {
        StringBuilder data = null;
        while (true) {
            String line = readLine();
            if (line == null) {
                return data == null ? null : data.toString();
            }
            if (line.isEmpty()) {
                if (data != null) {
                    return data.toString();
                }
                continue;
            }
            if (line.startsWith("data:")) {
                String value = line.substring(5);
                if (value.startsWith(" ")) {
                    value = value.substring(1);
                }
                data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
            }
        }
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = null;
        while (true) {
            if (position == limit) {
                if (eof || !fill()) {
                    return line == null ? null : line.toString(StandardCharsets.UTF_8);
                }
            }
            if (skipLineFeed) {
                skipLineFeed = false;
                if (buffer[position] == '\n') {
                    position++;
                    continue;
                }
            }
            int start = position;
            while (position < limit && buffer[position] != '\n' && buffer[position] != '\r') {
                position++;
            }
            if (line == null) {
                line = new ByteArrayOutputStream(Math.max(16, position - start));
            }
            line.write(buffer, start, position - start);
            if (line.size() > MAX_LINE_BYTES) {
                throw new IOException("event stream line longer than " + MAX_LINE_BYTES + " bytes");
            }
            if (position < limit) {
                skipLineFeed = buffer[position] == '\r';
                position++;
                return line.toString(StandardCharsets.UTF_8);
            }
        }
    }

    private boolean fill() throws IOException {
        int n = in.read(buffer, 0, buffer.length);
        if (n < 0) {
            eof = true;
            return false;
        }
        position = 0;
        limit = n;
        return true;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
