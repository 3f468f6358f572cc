package io.rotor.transport.http.internal;

import com.sun.net.httpserver.HttpExchange;
import io.rotor.api.ErrorCode;
import io.rotor.api.RotorException;
import java.io.IOException;

/** Reads a request body within a limit, refusing larger ones with 413 without reading them. */
final class RequestBodies {

    /** Up to this, a body's array is made at its declared size; a longer one grows as it arrives, not on a promise. */
    private static final long EXACT_UP_TO = 64 * 1024;

    private RequestBodies() {
    }

    static byte[] read(HttpExchange exchange, long maxBytes) throws IOException {
        // The server has already refused a malformed Content-Length and one next to chunked encoding.
        String declared = exchange.getRequestHeaders().getFirst("Content-Length");
        if (declared != null && Long.parseLong(declared.strip()) > maxBytes) {
            throw tooLarge(exchange, maxBytes);
        }
        if (declared != null && Long.parseLong(declared.strip()) <= EXACT_UP_TO) {
            // The usual case: a short body of known length goes straight into an array of its size.
            byte[] body = new byte[(int) Long.parseLong(declared.strip())];
            if (exchange.getRequestBody().readNBytes(body, 0, body.length) < body.length) {
                throw new IOException("the request body ended before its Content-Length");
            }
            return body;
        }
        // Chunked or long: never more than the limit plus one byte is held.
        int limit = (int) Math.min(maxBytes, Integer.MAX_VALUE - 16);
        byte[] body = exchange.getRequestBody().readNBytes(limit + 1);
        if (body.length > limit) {
            throw tooLarge(exchange, maxBytes);
        }
        return body;
    }

    private static RotorException tooLarge(HttpExchange exchange, long maxBytes) {
        // The rest of the body is not read, so the connection cannot carry another request.
        exchange.getResponseHeaders().set("Connection", "close");
        return new RotorException(ErrorCode.PAYLOAD_TOO_LARGE,
                "Request body exceeds the limit of " + maxBytes + " bytes.");
    }
}
