package io.rotor.api;

import java.io.Closeable;
import java.io.InputStream;
import java.util.Map;

/**
 * The gateway's answer to a client request. The transport copies {@code body} to the client as
 * it arrives (flushing after each read when {@code streaming}) and then closes the response;
 * closing it ends the upstream call and records the request's outcome.
 *
 * @param headers headers for the client, including {@code X-Rotor-Account} and {@code Content-Type}
 * @param streaming true for a server-sent event stream that must be flushed as it arrives
 */
public record ClientResponse(int status, Map<String, String> headers, InputStream body, boolean streaming,
        Closeable onClose) implements Closeable {

    public ClientResponse {
        headers = Map.copyOf(headers);
    }

    @Override
    public void close() {
        try {
            onClose.close();
        } catch (Exception e) {
            // Closing only releases resources; nothing useful to report to the client.
        }
    }
}
