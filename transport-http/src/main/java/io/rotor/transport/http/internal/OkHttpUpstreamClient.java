package io.rotor.transport.http.internal;

import io.rotor.api.HttpCall;
import io.rotor.api.UpstreamHttp;
import io.rotor.api.UpstreamResponse;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;

/**
 * The one upstream HTTP client, on OkHttp: blocking calls (callers run on virtual threads), one
 * connection pool sized for many concurrent streams, bodies handed over unread.
 */
@Component(service = UpstreamHttp.class, configurationPid = "rotor",
        configurationPolicy = ConfigurationPolicy.REQUIRE)
public final class OkHttpUpstreamClient implements UpstreamHttp {

    // OkHttp's defaults (5 idle connections, 5 requests per host) suit a mobile app, not a gateway
    // that keeps hundreds of streams open to a handful of hosts.
    private static final int MAX_IDLE_CONNECTIONS = 256;
    private static final Duration KEEP_ALIVE = Duration.ofMinutes(5);
    private static final int MAX_ASYNC_REQUESTS = 1024;

    private static final Set<String> METHODS_WITH_BODY = Set.of("POST", "PUT", "PATCH");
    private static final byte[] NO_BYTES = new byte[0];

    private final ExecutorService dispatcherExecutor;
    private final OkHttpClient client;

    @Activate
    public OkHttpUpstreamClient(UpstreamClientConfiguration config) {
        dispatcherExecutor = Executors.newVirtualThreadPerTaskExecutor();
        Dispatcher dispatcher = new Dispatcher(dispatcherExecutor);
        dispatcher.setMaxRequests(MAX_ASYNC_REQUESTS);
        dispatcher.setMaxRequestsPerHost(MAX_ASYNC_REQUESTS);
        client = new OkHttpClient.Builder()
                .dispatcher(dispatcher)
                .connectionPool(new ConnectionPool(MAX_IDLE_CONNECTIONS, KEEP_ALIVE.toMillis(), TimeUnit.MILLISECONDS))
                .connectTimeout(Duration.ofMillis(config.upstream_connectTimeoutMs()))
                .readTimeout(Duration.ofMillis(config.upstream_readTimeoutMs()))
                .writeTimeout(Duration.ofMillis(config.upstream_readTimeoutMs()))
                .build();
    }

    @Override
    public UpstreamResponse execute(HttpCall httpCall) throws IOException {
        Call call = client.newCall(toRequest(httpCall));
        Response response = call.execute();
        InputStream body = new CallBodyStream(call, response);
        Map<String, List<String>> headers = response.headers().toMultimap();
        return new UpstreamResponse(response.code(), headers, body, null);
    }

    private static Request toRequest(HttpCall httpCall) {
        Request.Builder builder = new Request.Builder().url(httpCall.uri().toString());
        httpCall.headers().forEach((name, values) -> values.forEach(value -> builder.addHeader(name, value)));
        MediaType mediaType = httpCall.contentType() == null ? null : MediaType.parse(httpCall.contentType());
        byte[] bytes = httpCall.body();
        if (bytes == null && METHODS_WITH_BODY.contains(httpCall.method())) {
            bytes = NO_BYTES;
        }
        builder.method(httpCall.method(), bytes == null ? null : RequestBody.create(bytes, mediaType));
        return builder.build();
    }

    @Deactivate
    public void close() {
        client.dispatcher().cancelAll();
        client.connectionPool().evictAll();
        dispatcherExecutor.shutdownNow();
    }

    /**
     * The response body as the caller reads it. Closing it early cancels the call: OkHttp would
     * otherwise try to drain the rest of a possibly endless event stream to reuse the connection.
     */
    private static final class CallBodyStream extends FilterInputStream {

        private final Call call;
        private final Response response;
        private boolean exhausted;
        private boolean closed;

        CallBodyStream(Call call, Response response) {
            super(response.body().byteStream());
            this.call = call;
            this.response = response;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            exhausted |= b < 0;
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            // okio waits for the next bytes even when asked for none, and InputStream.readNBytes asks
            // for none once it has all it wanted: on a live stream that read would hang.
            if (length == 0) {
                return 0;
            }
            int n = super.read(buffer, offset, length);
            exhausted |= n < 0;
            return n;
        }

        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (!exhausted) {
                call.cancel();
            }
            response.close();
        }
    }
}
