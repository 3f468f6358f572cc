package io.rotor.transport.http.internal;

import com.sun.net.httpserver.Headers;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One client connection of {@link VirtualThreadHttpServer}: reads request heads and bodies from a
 * blocking socket through one small buffer, and writes responses through another, so a response
 * head and a short body leave in one system call.
 */
final class Http1Connection {

    /** Request line and headers together; the JDK's own server allows 380 KiB, browsers send a few. */
    static final int MAX_HEAD_BYTES = 64 * 1024;
    static final int MAX_HEADERS = 200;
    /** A chunk-size line or a trailer line longer than this is not a client we want to serve. */
    private static final int MAX_LINE_BYTES = 8 * 1024;
    /** Request heads are a few hundred bytes; a longer one grows the input buffer for as long as it is read. */
    private static final int INPUT_BYTES = 2 * 1024;
    /** A response head and a typical completion leave in one write. */
    private static final int OUTPUT_BYTES = 4 * 1024;
    /** How long, and how much, a closing connection reads and drops of what the client still sends. */
    private static final long LINGER_NANOS = 2_000_000_000L;
    private static final long LINGER_BYTES = 64L * 1024 * 1024;

    /** A request the server refuses before any handler sees it. */
    static final class BadRequest extends IOException {
        final int status;

        BadRequest(int status, String message) {
            super(message, null);
            this.status = status;
        }
    }

    /**
     * A parsed request head.
     *
     * @param contentLength the body's length; -1 for a chunked body
     * @param keepAlive whether the client lets the connection carry another request
     */
    record Head(String method, URI uri, String protocol, Headers headers, long contentLength, boolean keepAlive,
            boolean expectContinue) {
    }

    final Socket socket;
    private final InputStream in;
    private final OutputStream socketOut;
    private byte[] input = new byte[INPUT_BYTES];
    private int position;
    private int limit;
    private final byte[] output = new byte[OUTPUT_BYTES];
    private int buffered;
    /** When the connection started waiting for a request head, 0 while a request is being served. */
    volatile long idleSince;
    /** How many hang-up watches have started, for tests. */
    static final AtomicLong WATCHES_STARTED = new AtomicLong();

    /**
     * A hang-up watch is wanted from {@link #watchDueAt} on. Set by the serving thread; cleared, under this
     * connection's lock, by the serving thread withdrawing it or by the sweeper once it has started it.
     */
    private volatile boolean watchDue;
    private volatile long watchDueAt;
    private volatile Runnable onHangUp;
    /** A read started by a hang-up watch; the next read takes its result. Set by the sweeper, taken by the serving thread. */
    private volatile Thread readAhead;
    // Written by the read-ahead thread, read by the serving thread after joining it.
    private boolean readAheadEnded;
    private IOException readAheadFailure;

    Http1Connection(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.socketOut = socket.getOutputStream();
    }

    // ---------------------------------------------------------------- reading

    /** Reads the next request head; null if the client closed the connection between requests. */
    Head readHead() throws IOException {
        // A hang-up watch may be reading into the buffer: take its result before looking at the buffer.
        settleWatch();
        if (readAhead != null && !joinReadAhead() && position == limit) {
            return null;
        }
        // Empty lines before a request line are allowed (RFC 9112, 2.2).
        while (true) {
            if (position == limit && !fill(true)) {
                return null;
            }
            if (input[position] == '\r' || input[position] == '\n') {
                position++;
            } else {
                break;
            }
        }
        int end;
        int searchFrom = position;
        while ((end = indexOfHeadEnd(searchFrom)) < 0) {
            searchFrom = Math.max(position, limit - 3);
            if (limit - position >= MAX_HEAD_BYTES) {
                throw new BadRequest(431, "The request head is larger than " + MAX_HEAD_BYTES + " bytes.");
            }
            if (!fill(false)) {
                throw new EOFException("connection closed in the middle of a request head");
            }
        }
        String head = new String(input, position, end - position, StandardCharsets.ISO_8859_1);
        position = end + 4;
        return parse(head);
    }

    private int indexOfHeadEnd(int from) {
        for (int i = from; i + 3 < limit; i++) {
            if (input[i] == '\r' && input[i + 1] == '\n' && input[i + 2] == '\r' && input[i + 3] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** Parses a request head: the text before its blank line, not starting with an empty line. */
    static Head parse(String head) throws BadRequest {
        int lineEnd = head.indexOf("\r\n");
        String requestLine = lineEnd < 0 ? head : head.substring(0, lineEnd);
        int firstSpace = requestLine.indexOf(' ');
        int secondSpace = firstSpace < 0 ? -1 : requestLine.indexOf(' ', firstSpace + 1);
        if (firstSpace <= 0 || secondSpace < 0 || requestLine.indexOf(' ', secondSpace + 1) >= 0) {
            throw new BadRequest(400, "Malformed request line.");
        }
        String method = requestLine.substring(0, firstSpace);
        String target = requestLine.substring(firstSpace + 1, secondSpace);
        String protocol = requestLine.substring(secondSpace + 1);
        if (!isToken(method)) {
            throw new BadRequest(400, "Malformed request method.");
        }
        if (!protocol.equals("HTTP/1.1") && !protocol.equals("HTTP/1.0")) {
            throw new BadRequest(protocol.startsWith("HTTP/") ? 505 : 400, "Only HTTP/1.1 and HTTP/1.0 are served.");
        }
        URI uri;
        try {
            uri = new URI(target);
        } catch (URISyntaxException e) {
            throw new BadRequest(400, "Malformed request target.");
        }
        if (uri.getRawPath() == null || uri.getRawPath().isEmpty() && !target.startsWith("http")) {
            throw new BadRequest(400, "Malformed request target.");
        }
        Headers headers = new Headers();
        int count = 0;
        int at = lineEnd < 0 ? head.length() : lineEnd + 2;
        while (at < head.length()) {
            int next = head.indexOf("\r\n", at);
            int headerEnd = next < 0 ? head.length() : next;
            int colon = head.indexOf(':', at);
            // No whitespace before the colon, no folded lines (RFC 9112, 5.1 and 5.2): both smuggle.
            if (colon < 0 || colon >= headerEnd || !isToken(head, at, colon)) {
                throw new BadRequest(400, "Malformed header line.");
            }
            // The value without the white space around it, as String.strip() would leave it.
            int valueStart = colon + 1;
            int valueEnd = headerEnd;
            while (valueStart < valueEnd && Character.isWhitespace(head.charAt(valueStart))) {
                valueStart++;
            }
            while (valueEnd > valueStart && Character.isWhitespace(head.charAt(valueEnd - 1))) {
                valueEnd--;
            }
            for (int i = valueStart; i < valueEnd; i++) {
                char c = head.charAt(i);
                if (c < 0x20 && c != '\t' || c == 0x7f) {
                    throw new BadRequest(400, "Control character in a header value.");
                }
            }
            if (++count > MAX_HEADERS) {
                throw new BadRequest(431, "More than " + MAX_HEADERS + " request headers.");
            }
            headers.add(head.substring(at, colon), head.substring(valueStart, valueEnd));
            at = next < 0 ? head.length() : next + 2;
        }
        boolean http11 = protocol.equals("HTTP/1.1");
        if (http11 && !headers.containsKey("Host")) {
            throw new BadRequest(400, "Missing Host header.");
        }
        long contentLength = bodyLength(headers);
        String connection = headers.getFirst("Connection");
        boolean close = connection != null && hasToken(connection, "close");
        boolean keepAlive = http11 ? !close : connection != null && hasToken(connection, "keep-alive");
        String expect = headers.getFirst("Expect");
        boolean expectContinue = http11 && expect != null && expect.equalsIgnoreCase("100-continue");
        return new Head(method, uri, protocol, headers, contentLength, keepAlive, expectContinue);
    }

    /** The body's framing; refuses what request smuggling is made of (RFC 9112, 6.3). */
    private static long bodyLength(Headers headers) throws BadRequest {
        List<String> encodings = headers.get("Transfer-Encoding");
        List<String> lengths = headers.get("Content-Length");
        if (encodings != null) {
            if (lengths != null) {
                throw new BadRequest(400, "Both Content-Length and Transfer-Encoding are present.");
            }
            if (encodings.size() != 1 || !encodings.get(0).equalsIgnoreCase("chunked")) {
                throw new BadRequest(501, "Only the chunked transfer encoding is supported.");
            }
            return -1;
        }
        if (lengths == null) {
            return 0;
        }
        if (lengths.size() != 1 || lengths.get(0).isEmpty() || lengths.get(0).length() > 18) {
            throw new BadRequest(400, "Malformed Content-Length.");
        }
        String length = lengths.get(0);
        for (int i = 0; i < length.length(); i++) {
            if (length.charAt(i) < '0' || length.charAt(i) > '9') {
                throw new BadRequest(400, "Malformed Content-Length.");
            }
        }
        return Long.parseLong(length);
    }

    private static boolean hasToken(String value, String token) {
        for (String part : value.split(",")) {
            if (part.strip().equalsIgnoreCase(token)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isToken(String text) {
        return isToken(text, 0, text.length());
    }

    /** Whether {@code text} from {@code start} to {@code end} is a non-empty token (RFC 9110, 5.6.2). */
    private static boolean isToken(String text, int start, int end) {
        if (start >= end) {
            return false;
        }
        for (int i = start; i < end; i++) {
            char c = text.charAt(i);
            boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /**
     * Asks for a hang-up watch from {@code dueAt} ({@link System#nanoTime()}) on, if the serving thread
     * has not read from the connection again by then: to notice a client that leaves while the serving
     * thread is busy elsewhere (relaying a response from a silent upstream), and run {@code onHangUp}.
     * The server's sweeper starts the watches that are due ({@link #startWatchIfDue}), so a response that
     * ends before costs nothing: no thread started (a wake-up of an idle carrier thread, on the way to
     * the first event) and no read left waiting on the socket, which the next request would reach only
     * through the JDK's poller and a carrier thread (two more wake-ups). Call only when the request has
     * been read whole and the buffer holds nothing unread.
     */
    void watchForHangUpFrom(long dueAt, Runnable onHangUp) {
        if (readAhead != null || position != limit) {
            return;
        }
        this.onHangUp = onHangUp;
        watchDueAt = dueAt;
        watchDue = true;
    }

    /**
     * Starts the hang-up watch if one is due: reads ahead on the socket in a virtual thread of its own and
     * runs the {@code onHangUp} given if the client closes or resets the connection. Bytes that arrive
     * instead (a pipelined request) are kept for the next read, which waits for this one. Reading the end
     * of the stream as a hang-up is what nginx does too; a client that half-closes its side to wait for a
     * streamed answer is not served. Called by the sweeper only.
     */
    void startWatchIfDue(long now) {
        if (!watchDue || now - watchDueAt < 0 || socket.isClosed()) {
            return;
        }
        synchronized (this) {
            if (!watchDue) {
                return; // withdrawn meanwhile
            }
            Runnable onHangUp = this.onHangUp;
            WATCHES_STARTED.incrementAndGet();
            readAhead = Thread.ofVirtual().name("rotor-http-hangup-watch").start(() -> {
                try {
                    readAheadEnded = !fillFromSocket();
                } catch (IOException e) {
                    readAheadFailure = e;
                }
                if (readAheadEnded || readAheadFailure != null) {
                    onHangUp.run();
                }
            });
            // Cleared only once readAhead is set: a serving thread that sees it clear also sees the read.
            watchDue = false;
        }
    }

    /**
     * Before the serving thread reads the socket: withdraws a watch not yet started, or waits until the
     * sweeper has finished starting one, whose read ({@link #readAhead}) the serving thread then takes over.
     */
    private void settleWatch() {
        if (watchDue) {
            synchronized (this) {
                watchDue = false;
            }
        }
    }

    /** Waits for a read started by {@link #startWatchIfDue} and takes its result: false at the end of the stream. */
    private boolean joinReadAhead() throws IOException {
        Thread reader = readAhead;
        try {
            reader.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reading the next request");
        }
        readAhead = null;
        if (readAheadFailure != null) {
            IOException failure = readAheadFailure;
            readAheadFailure = null;
            throw failure;
        }
        return !readAheadEnded;
    }

    /** Reads body bytes: from the buffer first, then from the socket. Returns -1 at the end of the stream. */
    int read(byte[] buffer, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        if (position == limit) {
            settleWatch();
            if (length >= input.length && readAhead == null) {
                // A large read goes straight to the caller's array.
                return in.read(buffer, offset, length);
            }
            if (!fill(true)) {
                return -1;
            }
        }
        int n = Math.min(length, limit - position);
        System.arraycopy(input, position, buffer, offset, n);
        position += n;
        return n;
    }

    /** Reads a CRLF-ended line of at most {@link #MAX_LINE_BYTES}, without the CRLF. */
    String readLine() throws IOException {
        int searchFrom = position;
        while (true) {
            for (int i = searchFrom; i + 1 < limit; i++) {
                if (input[i] == '\r' && input[i + 1] == '\n') {
                    String line = new String(input, position, i - position, StandardCharsets.ISO_8859_1);
                    position = i + 2;
                    return line;
                }
            }
            searchFrom = Math.max(position, limit - 1);
            if (limit - position > MAX_LINE_BYTES) {
                throw new BadRequest(400, "A chunk line is too long.");
            }
            if (!fill(false)) {
                throw new EOFException("connection closed in the middle of a chunked body");
            }
        }
    }

    /** Reads more from the socket after the unread bytes; false at the end of the stream. */
    private boolean fill(boolean emptyAllowed) throws IOException {
        settleWatch();
        if (readAhead != null) {
            return joinReadAhead();
        }
        return fillFromSocket();
    }

    private boolean fillFromSocket() throws IOException {
        if (position == limit) {
            position = 0;
            limit = 0;
        } else if (limit == input.length) {
            if (position > 0) {
                System.arraycopy(input, position, input, 0, limit - position);
                limit -= position;
                position = 0;
            } else {
                input = Arrays.copyOf(input, Math.min(input.length * 2, MAX_HEAD_BYTES + 4));
            }
        }
        int n = in.read(input, limit, input.length - limit);
        if (n < 0) {
            return false;
        }
        limit += n;
        return true;
    }

    /** Gives back the memory a large request head needed, once it is parsed. */
    void shrink() {
        if (input.length > INPUT_BYTES && limit - position <= INPUT_BYTES) {
            byte[] small = new byte[INPUT_BYTES];
            System.arraycopy(input, position, small, 0, limit - position);
            limit -= position;
            position = 0;
            input = small;
        }
    }

    // ---------------------------------------------------------------- writing

    void write(byte[] bytes, int offset, int length) throws IOException {
        if (length > output.length - buffered) {
            flush();
            if (length >= output.length) {
                socketOut.write(bytes, offset, length);
                return;
            }
        }
        System.arraycopy(bytes, offset, output, buffered, length);
        buffered += length;
    }

    void write(byte[] bytes) throws IOException {
        write(bytes, 0, bytes.length);
    }

    /**
     * Writes {@code text} as ISO-8859-1 (a character beyond it as {@code ?}); straight into the output
     * buffer when it fits, so a response head costs no byte array of its own.
     */
    void writeAscii(String text) throws IOException {
        int length = text.length();
        if (length > output.length - buffered) {
            write(text.getBytes(StandardCharsets.ISO_8859_1));
            return;
        }
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            output[buffered + i] = c <= 0xff ? (byte) c : (byte) '?';
        }
        buffered += length;
    }

    void flush() throws IOException {
        if (buffered > 0) {
            int n = buffered;
            buffered = 0;
            socketOut.write(output, 0, n);
        }
    }

    /** Writes a refusal with the contract's error shape and closes the connection. */
    void refuse(int status, String message) {
        String code = switch (status) {
            case 431 -> "request_header_fields_too_large";
            case 501 -> "not_implemented";
            case 505 -> "http_version_not_supported";
            default -> "invalid_request";
        };
        String body = "{\"error\":{\"message\":\"" + message.replace("\"", "'") + "\",\"type\":\"invalid_request_error\","
                + "\"code\":\"" + code + "\",\"param\":null}}";
        try {
            writeAscii("HTTP/1.1 " + status + " " + reason(status) + "\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body);
            flush();
        } catch (IOException e) {
            // the client is gone already
        }
    }

    static String reason(int status) {
        return switch (status) {
            case 100 -> "Continue";
            case 200 -> "OK";
            case 201 -> "Created";
            case 204 -> "No Content";
            case 304 -> "Not Modified";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 409 -> "Conflict";
            case 413 -> "Content Too Large";
            case 422 -> "Unprocessable Content";
            case 429 -> "Too Many Requests";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 501 -> "Not Implemented";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            case 505 -> "HTTP Version Not Supported";
            default -> status < 300 ? "OK" : status < 400 ? "Redirect" : status < 500 ? "Client Error" : "Server Error";
        };
    }

    /**
     * Closes after a response on a connection that may still carry unread request bytes (a refused
     * body, a refused head). Closing a socket with unread input sends a reset, and a reset can make
     * the client's TCP stack discard the response it has not read yet, so the refusal is lost: send
     * our FIN first, then read and drop what the client still sends, for a bounded time.
     */
    void lingerAndClose() {
        try {
            socket.shutdownOutput();
            long deadline = System.nanoTime() + LINGER_NANOS;
            settleWatch();
            if (readAhead != null) {
                // A read is already waiting on the socket: let it take what comes, for the same time.
                readAhead.join(Math.max(1, LINGER_NANOS / 1_000_000));
                if (readAhead.isAlive()) {
                    return;
                }
                readAhead = null;
            }
            byte[] sink = new byte[8 * 1024];
            long drained = 0;
            while (drained < LINGER_BYTES) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    break;
                }
                socket.setSoTimeout((int) left);
                int n = in.read(sink);
                if (n < 0) {
                    break;
                }
                drained += n;
            }
        } catch (IOException e) {
            // timed out or reset: the client had its chance to read the response
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            close();
        }
    }

    void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    @Override
    public String toString() {
        return "Http1Connection[" + socket.getRemoteSocketAddress() + "]";
    }
}
