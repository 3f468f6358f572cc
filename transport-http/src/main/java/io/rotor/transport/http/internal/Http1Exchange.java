package io.rotor.transport.http.internal;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One request and its response on an {@link Http1Connection}, behind the JDK's {@link HttpExchange}
 * API so that the handlers do not know which server runs them. The response is framed by the
 * server: a known length is sent with {@code Content-Length}, an unknown one chunked (each flush
 * sends what was written), and a body the handler did not read is skipped or ends the connection.
 */
final class Http1Exchange extends HttpExchange {

    /** An unread request body up to this size is skipped to keep the connection; a larger one closes it. */
    private static final long DRAIN_LIMIT = 64 * 1024;
    /**
     * How long a streamed response goes on before the server watches for its client hanging up. With the
     * sweeper's {@link VirtualThreadHttpServer#WATCH_LOOK_MILLIS}, a hang-up is noticed within about 0.4 s.
     */
    static final long HANG_UP_WATCH_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(300);
    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes();
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes();
    private static final byte[] CRLF = "\r\n".getBytes();

    private final Http1Connection connection;
    private final Http1Connection.Head head;
    private final HttpContext context;
    private final Headers responseHeaders = new Headers();
    private final RequestBody requestBody;
    private final ResponseBody responseBody = new ResponseBody();
    private InputStream in;
    private OutputStream out;
    private Map<String, Object> attributes;
    private int responseCode = -1;
    private boolean closeConnection;
    private boolean closed;
    /** The thread serving this exchange while it streams a response, for as long as a hang-up should stop it. */
    private Thread streaming;
    private boolean hungUp;

    Http1Exchange(Http1Connection connection, Http1Connection.Head head, HttpContext context) {
        this.connection = connection;
        this.head = head;
        this.context = context;
        this.requestBody = new RequestBody(head.contentLength());
        this.in = requestBody;
        this.out = responseBody;
        this.closeConnection = !head.keepAlive();
    }

    /** Whether the connection can carry another request once this exchange has ended. */
    boolean keepsConnection() {
        return !closeConnection;
    }

    @Override
    public Headers getRequestHeaders() {
        return head.headers();
    }

    @Override
    public Headers getResponseHeaders() {
        return responseHeaders;
    }

    @Override
    public URI getRequestURI() {
        return head.uri();
    }

    @Override
    public String getRequestMethod() {
        return head.method();
    }

    @Override
    public HttpContext getHttpContext() {
        return context;
    }

    @Override
    public InputStream getRequestBody() {
        return in;
    }

    @Override
    public OutputStream getResponseBody() {
        return out;
    }

    @Override
    public void sendResponseHeaders(int status, long length) throws IOException {
        if (responseCode != -1) {
            throw new IOException("response headers already sent");
        }
        // The JDK's Headers checks what its methods put in, not edits to a value list; a head refused
        // here has not been started, so the server can still answer 500.
        // (A loop, not contains(null): an immutable list would throw at that.)
        for (List<String> values : responseHeaders.values()) {
            for (String value : values) {
                if (value == null) {
                    throw new IllegalArgumentException("a response header has a null value");
                }
            }
        }
        responseCode = status;
        boolean noBody = status < 200 || status == 204 || status == 304;
        boolean head = "HEAD".equals(this.head.method());
        responseHeaders.remove("Content-Length");
        responseHeaders.remove("Transfer-Encoding");
        String connectionHeader = responseHeaders.getFirst("Connection");
        if (connectionHeader != null && connectionHeader.toLowerCase().contains("close")) {
            closeConnection = true;
        }
        long framed;
        String framing;
        if (noBody) {
            framed = -1;
            framing = null;
        } else if (length > 0) {
            framed = length;
            framing = "Content-Length: " + length;
        } else if (length == 0 && !head) {
            if (this.head.protocol().equals("HTTP/1.1")) {
                framed = 0;
                framing = "Transfer-Encoding: chunked";
            } else {
                // HTTP/1.0 has no chunks: the end of the connection ends the body.
                framed = Long.MAX_VALUE;
                framing = null;
                closeConnection = true;
            }
        } else {
            framed = -1;
            framing = "Content-Length: 0";
        }
        // Written piece by piece into the connection's output buffer, which the head usually fits.
        connection.writeAscii("HTTP/1.1 ");
        connection.writeAscii(Integer.toString(status));
        connection.writeAscii(" ");
        connection.writeAscii(Http1Connection.reason(status));
        connection.writeAscii("\r\n");
        // The server frames the body and decides about the connection; the handler's other headers go as set.
        for (Map.Entry<String, List<String>> header : responseHeaders.entrySet()) {
            String name = header.getKey();
            if (name.equalsIgnoreCase("Connection")) {
                continue;
            }
            for (String value : header.getValue()) {
                writeHeader(name, value);
            }
        }
        if (framing != null) {
            connection.writeAscii(framing);
            connection.writeAscii("\r\n");
        }
        if (closeConnection) {
            connection.writeAscii("Connection: close\r\n");
        }
        if (!responseHeaders.containsKey("Date")) {
            writeHeader("Date", HttpDate.now());
        }
        connection.writeAscii("\r\n");
        responseBody.start(head ? -1 : framed);
        if (!head && (framed == 0 || framed == Long.MAX_VALUE) && requestBody.ended) {
            watchForHangUp();
        }
        if (framed == -1 || head) {
            connection.flush();
        }
    }

    private void writeHeader(String name, String value) throws IOException {
        connection.writeAscii(name);
        connection.writeAscii(": ");
        connection.writeAscii(value);
        connection.writeAscii("\r\n");
    }

    @Override
    public InetSocketAddress getRemoteAddress() {
        return (InetSocketAddress) connection.socket.getRemoteSocketAddress();
    }

    @Override
    public int getResponseCode() {
        return responseCode;
    }

    @Override
    public InetSocketAddress getLocalAddress() {
        return (InetSocketAddress) connection.socket.getLocalSocketAddress();
    }

    @Override
    public String getProtocol() {
        return head.protocol();
    }

    @Override
    public Object getAttribute(String name) {
        return attributes == null ? null : attributes.get(name);
    }

    @Override
    public void setAttribute(String name, Object value) {
        if (attributes == null) {
            attributes = new HashMap<>();
        }
        attributes.put(name, value);
    }

    @Override
    public void setStreams(InputStream input, OutputStream output) {
        if (input != null) {
            in = input;
        }
        if (output != null) {
            out = output;
        }
    }

    @Override
    public HttpPrincipal getPrincipal() {
        return null;
    }

    /**
     * While a response of unknown length streams, a client that goes away interrupts the thread serving
     * it, once the response has lasted {@link #HANG_UP_WATCH_DELAY_NANOS} (shorter ones need no watch).
     * That thread usually waits on an upstream that may stay silent for minutes; a blocking socket read
     * on a virtual thread ends at an interrupt (the socket is closed, the upstream sees its connection end),
     * and so does every other blocking wait, so the upstream call and the account are released at once.
     * On a platform thread a plain socket's read does not end at an interrupt (the upstream client's
     * channel sockets do), so the upstream client also notices the interrupt of a thread waiting on it
     * and cancels its call ({@link OkHttpUpstreamClient}).
     */
    private void watchForHangUp() {
        synchronized (this) {
            streaming = Thread.currentThread();
        }
        connection.watchForHangUpFrom(System.nanoTime() + HANG_UP_WATCH_DELAY_NANOS, this::clientHungUp);
    }

    private synchronized void clientHungUp() {
        if (streaming != null) {
            hungUp = true;
            closeConnection = true;
            streaming.interrupt();
        }
    }

    /** Ends the exchange: completes the response and skips what is left of the request body. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        boolean interrupted;
        synchronized (this) {
            streaming = null;
            interrupted = hungUp;
        }
        if (interrupted) {
            // The interrupt was ours, for this exchange only; the connection ends with it.
            Thread.interrupted();
            closeConnection = true;
            return;
        }
        try {
            if (responseCode == -1) {
                // A handler that sent nothing (often because the body was malformed): the client still deserves an answer.
                closeConnection = true;
                responseHeaders.clear();
                sendResponseHeaders(requestBody.refusal != null ? requestBody.refusal.status : 500, -1);
            }
            responseBody.close();
            if (!requestBody.skipRest()) {
                closeConnection = true;
            }
        } catch (IOException e) {
            closeConnection = true;
        }
    }

    /** The request body, framed by Content-Length or chunks; sends {@code 100 Continue} before the first read. */
    private final class RequestBody extends InputStream {
        private long left;
        private final boolean chunked;
        private boolean ended;
        private boolean continued;
        /** Why the body could not be read, if it was malformed. */
        Http1Connection.BadRequest refusal;

        RequestBody(long contentLength) {
            chunked = contentLength < 0;
            left = chunked ? 0 : contentLength;
            ended = contentLength == 0;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            try {
                return readBody(buffer, offset, length);
            } catch (Http1Connection.BadRequest malformed) {
                refusal = malformed;
                throw malformed;
            }
        }

        private int readBody(byte[] buffer, int offset, int length) throws IOException {
            if (length == 0) {
                return 0;
            }
            if (ended) {
                return -1;
            }
            if (refusal != null) {
                throw refusal;
            }
            if (head.expectContinue() && !continued && responseCode == -1) {
                continued = true;
                connection.write(CONTINUE);
                connection.flush();
            }
            if (left == 0 && chunked && !nextChunk()) {
                return -1;
            }
            int n = connection.read(buffer, offset, (int) Math.min(length, left));
            if (n < 0) {
                throw new IOException("the client closed the connection in the middle of the request body");
            }
            left -= n;
            if (left == 0 && !chunked) {
                ended = true;
            } else if (left == 0) {
                String crlf = connection.readLine();
                if (!crlf.isEmpty()) {
                    throw new Http1Connection.BadRequest(400, "Malformed chunked body.");
                }
            }
            return n;
        }

        /** Reads the next chunk's size; false after the last chunk and its trailers. */
        private boolean nextChunk() throws IOException {
            String line = connection.readLine();
            int extension = line.indexOf(';');
            String size = (extension < 0 ? line : line.substring(0, extension)).strip();
            try {
                if (size.isEmpty() || size.length() > 15) {
                    throw new NumberFormatException(size);
                }
                left = Long.parseLong(size, 16);
            } catch (NumberFormatException e) {
                throw new Http1Connection.BadRequest(400, "Malformed chunk size.");
            }
            if (left < 0) {
                throw new Http1Connection.BadRequest(400, "Malformed chunk size.");
            }
            if (left == 0) {
                int trailers = 0;
                while (!connection.readLine().isEmpty()) {
                    if (++trailers > Http1Connection.MAX_HEADERS) {
                        throw new Http1Connection.BadRequest(431, "Too many trailers.");
                    }
                }
                ended = true;
                return false;
            }
            return true;
        }

        /** Skips the rest of a small body; false if the connection cannot carry another request. */
        boolean skipRest() {
            if (ended) {
                return true;
            }
            if (head.expectContinue() && !continued) {
                return false; // the client may or may not send the body now: the stream is out of step
            }
            if (!chunked && left > DRAIN_LIMIT) {
                return false;
            }
            byte[] scratch = new byte[4096];
            long skipped = 0;
            try {
                int n;
                while ((n = read(scratch, 0, scratch.length)) >= 0) {
                    skipped += n;
                    if (skipped > DRAIN_LIMIT) {
                        return false;
                    }
                }
                return true;
            } catch (IOException e) {
                return false;
            }
        }
    }

    /** The response body: fixed length, chunked, or up to the end of the connection. */
    private final class ResponseBody extends OutputStream {
        private static final long CHUNKED = 0;
        private static final long NONE = -1;
        private long framing = NONE;
        private long left;
        private boolean started;
        private boolean done;

        void start(long framed) {
            framing = framed;
            left = framed;
            started = true;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            if (!started) {
                throw new IOException("sendResponseHeaders must come before the response body");
            }
            if (done) {
                throw new IOException("the response body is closed");
            }
            if (length == 0) {
                return;
            }
            if (framing == NONE) {
                if ("HEAD".equals(head.method())) {
                    return;
                }
                throw new IOException("this response has no body");
            }
            if (framing == CHUNKED) {
                connection.writeAscii(Integer.toHexString(length));
                connection.write(CRLF);
                connection.write(bytes, offset, length);
                connection.write(CRLF);
                return;
            }
            if (length > left) {
                closeConnection = true;
                throw new IOException("more bytes than the announced Content-Length");
            }
            connection.write(bytes, offset, length);
            left -= length;
            if (left == 0) {
                connection.flush();
            }
        }

        @Override
        public void flush() throws IOException {
            if (started && !done) {
                connection.flush();
            }
        }

        @Override
        public void close() throws IOException {
            if (!started || done) {
                return;
            }
            done = true;
            if (framing == CHUNKED) {
                connection.write(LAST_CHUNK);
            } else if (framing > 0 && framing != Long.MAX_VALUE && left > 0) {
                // Fewer bytes than announced: the client can only learn it from the connection ending.
                closeConnection = true;
            }
            connection.flush();
        }
    }

    /** The Date header, formatted at most once a second. */
    static final class HttpDate {
        private record Formatted(long second, String text) {
        }

        private static volatile Formatted last = new Formatted(-1, "");

        private HttpDate() {
        }

        static String now() {
            long second = System.currentTimeMillis() / 1000;
            Formatted formatted = last;
            if (formatted.second() != second) {
                formatted = new Formatted(second, DateTimeFormatter.RFC_1123_DATE_TIME.format(
                        Instant.ofEpochSecond(second).atZone(ZoneOffset.UTC)));
                last = formatted;
            }
            return formatted.text();
        }
    }
}
