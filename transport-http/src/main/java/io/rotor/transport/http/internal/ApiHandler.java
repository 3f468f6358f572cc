package io.rotor.transport.http.internal;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.rotor.api.ClientRequest;
import io.rotor.api.ClientResponse;
import io.rotor.api.Endpoint;
import io.rotor.api.ErrorCode;
import io.rotor.api.Gateway;
import io.rotor.api.MetricsExporter;
import io.rotor.api.RotorException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Routes one exchange: the proxied OpenAI endpoints go to the {@link Gateway}, whose response is
 * copied to the client as it arrives; {@code /health} answers directly; anything else is an error
 * in the contract's shape.
 */
final class ApiHandler implements HttpHandler {

    private static final System.Logger LOG = System.getLogger(ApiHandler.class.getName());

    private record Route(String method, Endpoint endpoint) {
    }

    private static final String HEALTH = "/health";
    private static final String METRICS = "/metrics";
    private static final Map<String, Route> ROUTES = Map.of(
            "/v1/chat/completions", new Route("POST", Endpoint.CHAT_COMPLETIONS),
            "/v1/completions", new Route("POST", Endpoint.COMPLETIONS),
            "/v1/embeddings", new Route("POST", Endpoint.EMBEDDINGS),
            "/v1/models", new Route("GET", Endpoint.MODELS),
            HEALTH, new Route("GET", null),
            METRICS, new Route("GET", null));

    private static final byte[] HEALTHY = "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8);

    // The server frames the response itself; these describe the upstream connection, not ours.
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection",
            "transfer-encoding", "te", "trailer", "upgrade", "content-length");

    // Large enough for an SSE event or two per read, small enough to pass each on at once; it lives as
    // long as the stream, so thousands of open streams hold thousands of it.
    private static final int STREAM_BUFFER = 2 * 1024;
    // A long non-streamed body (beyond READ_AHEAD) is copied in larger steps.
    private static final int COPY_BUFFER = 16 * 1024;
    // A non-streamed body that ends within this many bytes is sent with a Content-Length.
    private static final int READ_AHEAD = 64 * 1024;
    /** Each serving thread's buffer for the answers it reads ahead (see {@link #readAhead}). */
    private static final ThreadLocal<byte[]> READ_AHEAD_BUFFER = ThreadLocal.withInitial(() -> new byte[4 * 1024]);

    private final Gateway gateway;
    private final long maxBodyBytes;

    private final MetricsExporter metrics;

    ApiHandler(Gateway gateway, MetricsExporter metrics, long maxBodyBytes) {
        this.gateway = gateway;
        this.metrics = metrics;
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public void handle(HttpExchange exchange) {
        try (exchange) {
            serve(exchange);
        } catch (IOException clientGone) {
            LOG.log(Level.DEBUG, "Client connection failed: {0}", clientGone.getMessage());
        }
    }

    private void serve(HttpExchange exchange) throws IOException {
        String requestId = RequestIds.assign(exchange);
        try {
            route(exchange, requestId);
        } catch (RotorException e) {
            if (headersNotSent(exchange)) {
                ErrorResponses.send(exchange, e);
            }
        } catch (RuntimeException e) {
            // Class and message only: a stack trace or the request could carry user content.
            LOG.log(Level.WARNING, "Request failed: {0}: {1}", e.getClass().getName(), e.getMessage());
            if (headersNotSent(exchange)) {
                ErrorResponses.send(exchange, ErrorCode.INTERNAL, "The server failed to process the request.");
            }
        }
    }

    private void route(HttpExchange exchange, String requestId) throws IOException {
        String path = exchange.getRequestURI().getPath();
        Route route = ROUTES.get(path);
        if (route == null) {
            throw new RotorException(ErrorCode.NOT_FOUND, "Unknown path: " + path);
        }
        if (!route.method().equals(exchange.getRequestMethod())) {
            exchange.getResponseHeaders().set("Allow", route.method());
            throw new RotorException(ErrorCode.METHOD_NOT_ALLOWED,
                    exchange.getRequestMethod() + " is not allowed on " + path + "; use " + route.method() + ".");
        }
        if (path.equals(METRICS)) {
            byte[] text = metrics.scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", MetricsExporter.CONTENT_TYPE);
            exchange.sendResponseHeaders(200, text.length);
            exchange.getResponseBody().write(text);
            return;
        }
        if (route.endpoint() == null) {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, HEALTHY.length);
            exchange.getResponseBody().write(HEALTHY);
            return;
        }
        byte[] body = RequestBodies.read(exchange, maxBodyBytes);
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        ClientResponse clientResponse = gateway.handle(new ClientRequest(route.endpoint(), authorization, body,
                requestId));
        try {
            send(exchange, clientResponse);
        } finally {
            clientResponse.close();
        }
    }

    private static void send(HttpExchange exchange, ClientResponse clientResponse) throws IOException {
        Headers headers = exchange.getResponseHeaders();
        clientResponse.headers().forEach((name, value) -> {
            if (!HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT))) {
                headers.set(name, value);
            }
        });
        InputStream body = clientResponse.body();
        int status = clientResponse.status();
        if (status < 200 || status == 204 || status == 304) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        if (clientResponse.streaming()) {
            exchange.sendResponseHeaders(status, 0);
            copy(body, exchange.getResponseBody(), true);
            return;
        }
        ReadAhead head;
        try {
            head = readAhead(body);
        } catch (IOException e) {
            // Nothing has reached the client yet, so it can still learn what happened.
            throw new RotorException(ErrorCode.UPSTREAM_ERROR, "The upstream response failed.", e);
        }
        if (head.length() < READ_AHEAD) {
            exchange.sendResponseHeaders(status, head.length() == 0 ? -1 : head.length());
            if (head.length() > 0) {
                exchange.getResponseBody().write(head.bytes(), 0, head.length());
            }
            return;
        }
        exchange.sendResponseHeaders(status, 0);
        OutputStream out = exchange.getResponseBody();
        out.write(head.bytes(), 0, head.length());
        copy(body, out, false);
    }

    /** The first {@code length} bytes of {@code bytes} are the start of a body, or all of it. */
    record ReadAhead(byte[] bytes, int length) {
    }

    /**
     * Reads up to {@link #READ_AHEAD} bytes, or the whole body if it ends before. Most answers are a few
     * KiB and fit a platform serving thread's own buffer ({@link #READ_AHEAD_BUFFER}), which is written out
     * before the thread reads its next request, so a request allocates no buffer for its answer; a
     * longer one grows into new arrays ({@code readNBytes} would take 16 KiB of scratch space per request).
     */
    static ReadAhead readAhead(InputStream body) throws IOException {
        // Only the platform threads (at most 64, see VirtualThreadHttpServer) keep one: thousands of
        // connections on virtual threads would each hold theirs while idle.
        byte[] buffer = Thread.currentThread().isVirtual() ? new byte[4 * 1024] : READ_AHEAD_BUFFER.get();
        int length = 0;
        while (length < READ_AHEAD) {
            if (length == buffer.length) {
                buffer = Arrays.copyOf(buffer, Math.min(READ_AHEAD, buffer.length * 4));
            }
            int n = body.read(buffer, length, buffer.length - length);
            if (n < 0) {
                break;
            }
            length += n;
        }
        return new ReadAhead(buffer, length);
    }

    /** Copies until the body ends; an IOException from here on means the client went away. */
    private static void copy(InputStream in, OutputStream out, boolean flushEachRead) throws IOException {
        byte[] buffer = new byte[flushEachRead ? STREAM_BUFFER : COPY_BUFFER];
        int n;
        while ((n = readResponseBody(in, buffer)) >= 0) {
            out.write(buffer, 0, n);
            if (flushEachRead) {
                out.flush();
            }
        }
    }

    private static int readResponseBody(InputStream in, byte[] buffer) {
        try {
            return in.read(buffer);
        } catch (IOException e) {
            // Headers are out: all that is left is to end the response. The gateway's body normally
            // turns upstream failures into an error event itself, so this is rare.
            LOG.log(Level.WARNING, "Response body failed mid-way: {0}: {1}", e.getClass().getName(), e.getMessage());
            return -1;
        }
    }

    private static boolean headersNotSent(HttpExchange exchange) {
        return exchange.getResponseCode() == -1;
    }
}
