package io.rotor.transport.http.internal;

import com.sun.net.httpserver.HttpExchange;
import io.rotor.api.ErrorCode;
import io.rotor.api.RotorException;
import java.io.IOException;

/** Reads a request body within a limit, refusing larger ones with 413 without reading them. */
final class RequestBodies {

    private RequestBodies() {
    }

    static byte[] read(HttpExchange exchange, long maxBytes) throws IOException {
        // The server has already refused a malformed Content-Length and one next to chunked encoding.
        String declared = exchange.getRequestHeaders().getFirst("Content-Length");
        if (declared != null && Long.parseLong(declared.strip()) > maxBytes) {
            throw tooLarge(exchange, maxBytes);
        }
        // Counts for chunked bodies too; never more than the limit plus one byte is held.
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
