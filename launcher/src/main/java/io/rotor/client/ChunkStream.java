package io.rotor.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.rotor.api.ClientResponse;
import io.rotor.plugins.support.SseReader;
import java.io.IOException;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * A streamed response, read as it arrives: each element is one parsed server-sent event (e.g. a
 * {@code chat.completion.chunk}), up to the upstream's {@code [DONE]}. Nothing is buffered beyond the
 * event being read. Iterate it once, from one thread; always close it (try-with-resources): closing
 * before the end cancels the upstream call and frees the account.
 *
 * <p>An upstream that fails after the stream began ends it with an error event; {@link #hasNext()} then
 * throws a {@link RotorClientException} ({@code upstream_error}). A stream is never replayed on another
 * account once an event was returned.
 */
public final class ChunkStream implements Iterator<JsonNode>, Iterable<JsonNode>, AutoCloseable {

    private static final String DONE = "[DONE]";

    private final ClientResponse response;
    private final SseReader events;
    private final String accountId;
    private JsonNode next;
    private boolean finished;
    private boolean iterated;

    ChunkStream(ClientResponse response) {
        this.response = response;
        this.events = new SseReader(response.body());
        this.accountId = response.headers().get(io.rotor.api.Gateway.ACCOUNT_HEADER);
    }

    /** The id of the account serving this stream. */
    public String accountId() {
        return accountId;
    }

    /**
     * True if another event arrived; blocks until it does or the stream ends.
     *
     * @throws RotorClientException if the upstream failed mid-stream or sent an event that is not JSON
     */
    @Override
    public boolean hasNext() {
        if (next != null) {
            return true;
        }
        if (finished) {
            return false;
        }
        try {
            String data = events.next();
            if (data == null || DONE.equals(data.strip())) {
                drainAndClose();
                return false;
            }
            JsonNode event = Requests.JSON.readTree(data);
            if (event.path("error").isObject()) {
                close();
                throw Requests.errorOf(502, event, accountId);
            }
            next = event;
            return true;
        } catch (IOException e) {
            close();
            throw new RotorClientException(502, "upstream_error", "upstream_error",
                    "The upstream stream failed before it finished.", null, null, accountId, e);
        }
    }

    /** The next event; blocks until it arrives. */
    @Override
    public JsonNode next() {
        if (!hasNext()) {
            throw new NoSuchElementException("the stream has ended");
        }
        JsonNode event = next;
        next = null;
        return event;
    }

    /** This stream itself, for a for-each loop; it can be iterated once. */
    @Override
    public Iterator<JsonNode> iterator() {
        if (iterated) {
            throw new IllegalStateException("a ChunkStream can be iterated once");
        }
        iterated = true;
        return this;
    }

    /** Reads what follows {@code [DONE]} to the end, so the engine counts the request as served. */
    private void drainAndClose() throws IOException {
        try {
            while (events.next() != null) {
                // nothing is expected after [DONE]
            }
        } finally {
            close();
        }
    }

    /** Ends the stream; before its end this cancels the upstream call. Idempotent. */
    @Override
    public void close() {
        next = null;
        if (!finished) {
            finished = true;
            response.close(); // once: closing releases the account's slot
        }
    }
}
