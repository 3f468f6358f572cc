package io.rotor.bench;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * One HTTP/1.1 keep-alive connection of the load generator, on a plain blocking socket: a request
 * is one pre-encoded byte array written in one call, and the response is parsed in place in a
 * reused buffer (Content-Length or chunked), so the client costs a few microseconds per request
 * and never limits what it measures.
 */
final class HttpConnection implements Closeable {

    /** Told when each server-sent event of a streamed response has arrived. */
    interface EventListener {
        void event(int index, long arrivedNanos);
    }

    private static final int CONNECT_TIMEOUT_MS = 10_000;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private byte[] buffer = new byte[32 * 1024];
    private int start;
    private int end;
    private long lastFillNanos;
    private boolean closeAfterResponse;

    HttpConnection(InetSocketAddress address, int readTimeoutMillis) throws IOException {
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(address, CONNECT_TIMEOUT_MS);
        socket.setSoTimeout(readTimeoutMillis);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** Encodes a request; {@code authorization} may be null, {@code body} null for GET. */
    static byte[] request(String method, InetSocketAddress address, String path, String authorization, String body) {
        StringBuilder head = new StringBuilder(256).append(method).append(' ').append(path).append(" HTTP/1.1\r\n")
                .append("Host: ").append(address.getHostString()).append(':').append(address.getPort()).append("\r\n");
        if (authorization != null) {
            head.append("Authorization: ").append(authorization).append("\r\n");
        }
        byte[] bodyBytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        if (body != null) {
            head.append("Content-Type: application/json\r\nContent-Length: ").append(bodyBytes.length).append("\r\n");
        }
        head.append("\r\n");
        return FakeUpstream.concat(head.toString().getBytes(StandardCharsets.US_ASCII), bodyBytes);
    }

    /** Sends a request and reads its whole response; returns the status. */
    int call(byte[] request) throws IOException {
        out.write(request);
        return readResponse(null);
    }

    /**
     * Sends a request whose response is an event stream and reads it to its end, telling
     * {@code listener} as each event (ended by a blank line) arrives; returns the status.
     */
    int stream(byte[] request, EventListener listener) throws IOException {
        out.write(request);
        return readResponse(listener);
    }

    boolean isOpen() {
        return !closeAfterResponse && !socket.isClosed();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    private int readResponse(EventListener listener) throws IOException {
        int headEnd;
        while ((headEnd = Bytes.indexOf(buffer, start, end, Bytes.CRLFCRLF)) < 0) {
            fill();
        }
        int status = (buffer[start + 9] - '0') * 100 + (buffer[start + 10] - '0') * 10 + (buffer[start + 11] - '0');
        boolean chunked = Bytes.headerHas(buffer, start, headEnd, "transfer-encoding", "chunked");
        long length = Bytes.headerValueLong(buffer, start, headEnd, "content-length", -1);
        closeAfterResponse = Bytes.headerHas(buffer, start, headEnd, "connection", "close");
        start = headEnd + 4;
        EventScanner events = listener == null ? null : new EventScanner(listener);
        if (chunked) {
            readChunked(events);
        } else if (length >= 0) {
            consume(length, events);
        } else {
            // No framing: the body runs to the end of the connection.
            closeAfterResponse = true;
            try {
                while (true) {
                    consume(Long.MAX_VALUE, events);
                }
            } catch (EOFException endOfBody) {
                return status;
            }
        }
        return status;
    }

    private void readChunked(EventScanner events) throws IOException {
        while (true) {
            int lineEnd;
            while ((lineEnd = Bytes.indexOf(buffer, start, end, Bytes.CRLF)) < 0) {
                fill();
            }
            long size = 0;
            for (int i = start; i < lineEnd; i++) {
                int digit = Character.digit(buffer[i], 16);
                if (digit < 0) {
                    break;
                }
                size = size * 16 + digit;
            }
            start = lineEnd + 2;
            if (size == 0) {
                // Trailers, if any, end with an empty line.
                while (true) {
                    while ((lineEnd = Bytes.indexOf(buffer, start, end, Bytes.CRLF)) < 0) {
                        fill();
                    }
                    boolean empty = lineEnd == start;
                    start = lineEnd + 2;
                    if (empty) {
                        return;
                    }
                }
            }
            consume(size, events);
            while (end - start < 2) {
                fill();
            }
            start += 2;
        }
    }

    /** Skips {@code length} body bytes, scanning them for events. */
    private void consume(long length, EventScanner events) throws IOException {
        long left = length;
        while (left > 0) {
            if (start == end) {
                fill();
            }
            int n = (int) Math.min(left, end - start);
            if (events != null) {
                events.scan(buffer, start, start + n, lastFillNanos);
            }
            start += n;
            left -= n;
        }
    }

    private void fill() throws IOException {
        if (start == end) {
            start = 0;
            end = 0;
        } else if (end == buffer.length) {
            if (start > 0) {
                System.arraycopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            } else {
                buffer = java.util.Arrays.copyOf(buffer, buffer.length * 2);
            }
        }
        int n = in.read(buffer, end, buffer.length - end);
        if (n < 0) {
            closeAfterResponse = true;
            throw new EOFException("connection closed by the server");
        }
        lastFillNanos = System.nanoTime();
        end += n;
    }

    /** Finds event ends (a blank line) across reads. */
    private static final class EventScanner {
        private final EventListener listener;
        private boolean afterNewline;
        private int count;

        EventScanner(EventListener listener) {
            this.listener = listener;
        }

        void scan(byte[] data, int from, int to, long arrivedNanos) {
            for (int i = from; i < to; i++) {
                boolean newline = data[i] == '\n';
                if (newline && afterNewline) {
                    listener.event(count++, arrivedNanos);
                    afterNewline = false;
                } else {
                    afterNewline = newline;
                }
            }
        }
    }
}
