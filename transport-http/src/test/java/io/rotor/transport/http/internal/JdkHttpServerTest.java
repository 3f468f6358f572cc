package io.rotor.transport.http.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rotor.api.ClientRequest;
import io.rotor.api.ClientResponse;
import io.rotor.api.Endpoint;
import io.rotor.api.ErrorCode;
import io.rotor.api.Gateway;
import io.rotor.api.RotorException;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.lang.annotation.Annotation;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class JdkHttpServerTest {

    private static final int MAX_BODY = 1024;
    private static final String FIRST_EVENT = "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n";
    private static final String SECOND_EVENT = "data: {\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}\n\ndata: [DONE]\n\n";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RecordingGateway gateway = new RecordingGateway();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private JdkHttpServer server;

    @BeforeEach
    void start() {
        server = new JdkHttpServer(gateway, null, () -> "# metrics\n", config("127.0.0.1", 0, MAX_BODY), null);
    }

    @AfterEach
    void stop() {
        server.stop();
        client.close();
    }

    @Test
    void listensOnARealPortWhenConfiguredWithPortZero() {
        assertNotEquals(0, server.address().getPort());
        assertEquals("127.0.0.1", server.address().getAddress().getHostAddress());
    }

    @Test
    void passesEndpointAuthorizationAndBodyToTheGatewayAndItsAnswerToTheClient() throws Exception {
        CountingCloser closer = new CountingCloser();
        byte[] answer = "{\"id\":\"chatcmpl-1\"}".getBytes(StandardCharsets.UTF_8);
        gateway.answer(request -> new ClientResponse(200,
                Map.of("Content-Type", "application/json", Gateway.ACCOUNT_HEADER, "acc-7"),
                new ByteArrayInputStream(answer), false, closer));
        String requestBody = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi ✓\"}]}";

        HttpResponse<byte[]> response = client.send(post("/v1/chat/completions", requestBody)
                .header("Authorization", "Bearer user-key-1").build(), BodyHandlers.ofByteArray());

        assertEquals(200, response.statusCode());
        assertArrayEquals(answer, response.body());
        assertEquals("acc-7", response.headers().firstValue(Gateway.ACCOUNT_HEADER).orElseThrow());
        assertEquals("application/json", response.headers().firstValue("Content-Type").orElseThrow());
        assertEquals(String.valueOf(answer.length), response.headers().firstValue("Content-Length").orElseThrow());
        ClientRequest received = gateway.requests().getFirst();
        assertEquals(Endpoint.CHAT_COMPLETIONS, received.endpoint());
        assertEquals("Bearer user-key-1", received.authorization());
        assertArrayEquals(requestBody.getBytes(StandardCharsets.UTF_8), received.body());
        assertTrue(closer.awaitClose(10));
        assertEquals(1, closer.closes());
    }

    @Test
    void routesEachOpenAiPathToItsEndpoint() throws Exception {
        gateway.answer(request -> json(200, "{}"));

        assertEquals(200, client.send(post("/v1/completions", "{}").build(), BodyHandlers.discarding()).statusCode());
        assertEquals(200, client.send(post("/v1/embeddings", "{}").build(), BodyHandlers.discarding()).statusCode());
        assertEquals(200, client.send(get("/v1/models").build(), BodyHandlers.discarding()).statusCode());

        assertEquals(Endpoint.COMPLETIONS, gateway.requests().get(0).endpoint());
        assertEquals(Endpoint.EMBEDDINGS, gateway.requests().get(1).endpoint());
        assertEquals(Endpoint.MODELS, gateway.requests().get(2).endpoint());
        assertEquals(0, gateway.requests().get(2).body().length);
        assertNull(gateway.requests().get(2).authorization());
    }

    @Test
    void answersHealthWithoutAuthenticationAndWithoutTheGateway() throws Exception {
        HttpResponse<String> response = client.send(get("/health").build(), BodyHandlers.ofString());

        assertEquals(200, response.statusCode());
        assertEquals("ok", JSON.readTree(response.body()).get("status").asText());
        assertTrue(gateway.requests().isEmpty());
    }

    @Test
    void answersUnknownPathWith404InTheContractShape() throws Exception {
        HttpResponse<String> response = client.send(get("/v1/nothing-here").build(), BodyHandlers.ofString());

        assertEquals(404, response.statusCode());
        assertEquals("application/json", response.headers().firstValue("Content-Type").orElseThrow());
        JsonNode error = JSON.readTree(response.body()).get("error");
        assertEquals("not_found", error.get("code").asText());
        assertEquals("invalid_request_error", error.get("type").asText());
        assertTrue(error.get("param").isNull());
        assertFalse(error.get("message").asText().isBlank());
    }

    @Test
    void answersWrongMethodWith405AndTheAllowedOne() throws Exception {
        HttpResponse<String> onPost = client.send(get("/v1/chat/completions").build(), BodyHandlers.ofString());
        HttpResponse<String> onGet = client.send(post("/v1/models", "{}").build(), BodyHandlers.ofString());

        assertEquals(405, onPost.statusCode());
        assertEquals("POST", onPost.headers().firstValue("Allow").orElseThrow());
        assertEquals("method_not_allowed", JSON.readTree(onPost.body()).get("error").get("code").asText());
        assertEquals(405, onGet.statusCode());
        assertEquals("GET", onGet.headers().firstValue("Allow").orElseThrow());
        assertTrue(gateway.requests().isEmpty());
    }

    @Test
    void refusesBodyAnnouncedOverTheLimitBeforeReceivingIt() throws Exception {
        try (Socket socket = RawHttp.connect(server.address())) {
            // Only the head is sent: a server that waited for the body would never answer.
            RawHttp.write(socket, "POST /v1/chat/completions HTTP/1.1\r\nHost: rotor\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + (MAX_BODY + 1) + "\r\n\r\n");

            RawHttp.Response response = RawHttp.readResponse(socket);

            assertEquals(413, response.status());
            assertEquals("payload_too_large", JSON.readTree(response.body()).get("error").get("code").asText());
            assertEquals("close", response.headers().get("connection"));
        }
        assertTrue(gateway.requests().isEmpty());
    }

    @Test
    void refusesChunkedBodyOnceItGrowsOverTheLimit() throws Exception {
        String chunk = "a".repeat(512);
        try (Socket socket = RawHttp.connect(server.address())) {
            RawHttp.write(socket, "POST /v1/embeddings HTTP/1.1\r\nHost: rotor\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + ("200\r\n" + chunk + "\r\n").repeat(3) + "0\r\n\r\n");

            RawHttp.Response response = RawHttp.readResponse(socket);

            assertEquals(413, response.status());
            assertEquals("payload_too_large", JSON.readTree(response.body()).get("error").get("code").asText());
        }
        assertTrue(gateway.requests().isEmpty());
    }

    @Test
    void acceptsChunkedBodyOfExactlyTheLimit() throws Exception {
        gateway.answer(request -> json(200, "{}"));
        String chunk = "b".repeat(512);
        try (Socket socket = RawHttp.connect(server.address())) {
            RawHttp.write(socket, "POST /v1/embeddings HTTP/1.1\r\nHost: rotor\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + ("200\r\n" + chunk + "\r\n").repeat(2) + "0\r\n\r\n");

            assertEquals(200, RawHttp.readResponse(socket).status());
        }
        assertEquals(MAX_BODY, gateway.requests().getFirst().body().length);
    }

    @Test
    void mapsRotorExceptionWithRetryTimeToRetryAfterRoundedUpAndRetryAfterMs() throws Exception {
        gateway.answer(request -> {
            throw RotorException.retryAfter(ErrorCode.NO_AVAILABLE_ACCOUNTS, "No account is available now.", 1200);
        });

        HttpResponse<String> response = client.send(post("/v1/chat/completions", "{}").build(), BodyHandlers.ofString());

        assertEquals(429, response.statusCode());
        assertEquals("2", response.headers().firstValue("Retry-After").orElseThrow());
        JsonNode error = JSON.readTree(response.body()).get("error");
        assertEquals("NO_AVAILABLE_ACCOUNTS", error.get("code").asText());
        assertEquals("rate_limit_error", error.get("type").asText());
        assertEquals("No account is available now.", error.get("message").asText());
        assertEquals(1200, error.get("retry_after_ms").asLong());
    }

    @Test
    void mapsInvalidApiKeyToA401WithoutRetryHints() throws Exception {
        gateway.answer(request -> {
            throw new RotorException(ErrorCode.INVALID_API_KEY, "Missing or unknown API key.");
        });

        HttpResponse<String> response = client.send(post("/v1/chat/completions", "{}").build(), BodyHandlers.ofString());

        assertEquals(401, response.statusCode());
        assertTrue(response.headers().firstValue("Retry-After").isEmpty());
        JsonNode root = JSON.readTree(response.body());
        assertEquals(1, root.size());
        JsonNode error = root.get("error");
        assertEquals("Missing or unknown API key.", error.get("message").asText());
        assertEquals("authentication_error", error.get("type").asText());
        assertEquals("invalid_api_key", error.get("code").asText());
        assertTrue(error.has("param") && error.get("param").isNull());
        assertFalse(error.has("retry_after_ms"));
    }

    @Test
    void namesTheParamAtFaultInABadRequest() throws Exception {
        gateway.answer(request -> {
            throw RotorException.badParam("model", "Missing field: model.");
        });

        HttpResponse<String> response = client.send(post("/v1/chat/completions", "{}").build(), BodyHandlers.ofString());

        assertEquals(400, response.statusCode());
        JsonNode error = JSON.readTree(response.body()).get("error");
        assertEquals("invalid_request", error.get("code").asText());
        assertEquals("model", error.get("param").asText());
    }

    @Test
    void hidesTheDetailsOfAnUnexpectedFailureBehindAGeneric500() throws Exception {
        gateway.answer(request -> {
            throw new IllegalStateException("decrypted key sk-live-123 did not fit");
        });

        HttpResponse<String> response = client.send(post("/v1/chat/completions", "{}").build(), BodyHandlers.ofString());

        assertEquals(500, response.statusCode());
        assertEquals("internal_error", JSON.readTree(response.body()).get("error").get("code").asText());
        assertFalse(response.body().contains("sk-live-123"));
    }

    @Test
    void ignoresFramingHeadersOfTheGatewayResponse() throws Exception {
        gateway.answer(request -> new ClientResponse(200,
                Map.of("Content-Type", "application/json", "Content-Length", "99999", "Transfer-Encoding", "chunked",
                        "Connection", "close"),
                new ByteArrayInputStream("{\"ok\":true}".getBytes(StandardCharsets.UTF_8)), false, new CountingCloser()));

        HttpResponse<String> first = client.send(post("/v1/completions", "{}").build(), BodyHandlers.ofString());
        HttpResponse<String> second = client.send(post("/v1/completions", "{}").build(), BodyHandlers.ofString());

        assertEquals("{\"ok\":true}", first.body());
        assertEquals("11", first.headers().firstValue("Content-Length").orElseThrow());
        assertEquals("{\"ok\":true}", second.body());
    }

    @Test
    void reportsABodyThatFailsBeforeAnyByteWasSentAsAnUpstreamError() throws Exception {
        CountingCloser closer = new CountingCloser();
        InputStream failing = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("upstream reset");
            }
        };
        gateway.answer(request -> new ClientResponse(200, Map.of("Content-Type", "application/json"), failing, false,
                closer));

        HttpResponse<String> response = client.send(post("/v1/embeddings", "{}").build(), BodyHandlers.ofString());

        assertEquals(502, response.statusCode());
        assertEquals("upstream_error", JSON.readTree(response.body()).get("error").get("code").asText());
        assertEquals(1, closer.closes());
    }

    @Test
    void answersOnOneConnectionEachArriveWholeAndAloneWhateverTheirLengthsAndReads() throws Exception {
        // The serving thread reads answers ahead into a buffer it keeps: a shorter answer after a longer
        // one must not carry the longer one's bytes, and one longer than the buffer must arrive whole.
        List<byte[]> answers = List.of(filled(3_000, 'a'), filled(5, 'b'), filled(10_000, 'c'), filled(2, 'd'),
                filled(4_096, 'e'), filled(1, 'f'));
        AtomicInteger next = new AtomicInteger();
        gateway.answer(request -> {
            byte[] answer = answers.get(next.getAndIncrement());
            // A byte at a time, as a slow upstream would hand it over.
            InputStream trickle = new FilterInputStream(new ByteArrayInputStream(answer)) {
                @Override
                public int read(byte[] buffer, int offset, int length) throws IOException {
                    return super.read(buffer, offset, Math.min(length, 1));
                }
            };
            return new ClientResponse(200, Map.of("Content-Type", "application/json"), trickle, false,
                    new CountingCloser());
        });

        // One connection, so one serving thread with one buffer for all the answers.
        try (Socket socket = RawHttp.connect(server.address())) {
            for (byte[] answer : answers) {
                RawHttp.write(socket, "GET /v1/models HTTP/1.1\r\nHost: rotor\r\n\r\n");
                RawHttp.Response response = RawHttp.readResponse(socket);
                assertEquals(200, response.status());
                assertEquals(String.valueOf(answer.length), response.headers().get("content-length"));
                assertEquals(new String(answer, StandardCharsets.UTF_8), response.body());
            }
        }
    }

    private static byte[] filled(int length, char c) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) c);
        return bytes;
    }

    @Test
    void copiesALargeNonStreamedBodyWhole() throws Exception {
        byte[] large = new byte[300 * 1024 + 7];
        Arrays.fill(large, (byte) 'x');
        gateway.answer(request -> new ClientResponse(200, Map.of("Content-Type", "application/json"),
                new ByteArrayInputStream(large), false, new CountingCloser()));

        HttpResponse<byte[]> response = client.send(get("/v1/models").build(), BodyHandlers.ofByteArray());

        assertEquals(200, response.statusCode());
        assertArrayEquals(large, response.body());
    }

    @Test
    void streamsTheFirstEventToTheClientBeforeTheUpstreamHasFinished() throws Exception {
        CountDownLatch clientReadFirstEvent = new CountDownLatch(1);
        PipedInputStream upstreamBody = new PipedInputStream();
        PipedOutputStream upstream = new PipedOutputStream(upstreamBody);
        CountingCloser closer = new CountingCloser(upstreamBody);
        Thread producer = Thread.ofVirtual().start(() -> {
            try (upstream) {
                upstream.write(FIRST_EVENT.getBytes(StandardCharsets.UTF_8));
                upstream.flush();
                // The rest exists only once the client has proven it holds the first event.
                clientReadFirstEvent.await();
                upstream.write(SECOND_EVENT.getBytes(StandardCharsets.UTF_8));
            } catch (IOException | InterruptedException e) {
                throw new RuntimeException(e);
            }
        });
        gateway.answer(request -> new ClientResponse(200,
                Map.of("Content-Type", "text/event-stream", Gateway.ACCOUNT_HEADER, "acc-1"), upstreamBody, true, closer));

        HttpResponse<InputStream> response = client.send(post("/v1/chat/completions", "{\"stream\":true}").build(),
                BodyHandlers.ofInputStream());

        try (InputStream body = response.body()) {
            assertEquals(200, response.statusCode());
            assertEquals("text/event-stream", response.headers().firstValue("Content-Type").orElseThrow());
            byte[] first = body.readNBytes(FIRST_EVENT.getBytes(StandardCharsets.UTF_8).length);
            assertEquals(FIRST_EVENT, new String(first, StandardCharsets.UTF_8));
            clientReadFirstEvent.countDown();
            assertEquals(SECOND_EVENT, new String(body.readAllBytes(), StandardCharsets.UTF_8));
        }
        producer.join();
        assertTrue(closer.awaitClose(10));
        assertEquals(1, closer.closes());
    }

    @Test
    void closesTheClientResponseExactlyOnceWhenTheClientHangsUpMidStream() throws Exception {
        PipedInputStream upstreamBody = new PipedInputStream();
        PipedOutputStream upstream = new PipedOutputStream(upstreamBody);
        CountingCloser closer = new CountingCloser(upstreamBody);
        // An endless stream: only the server noticing the hang-up (and closing the response) ends it.
        Thread producer = Thread.ofVirtual().start(() -> {
            try (upstream) {
                for (int i = 0; i < 1_000; i++) {
                    upstream.write(FIRST_EVENT.getBytes(StandardCharsets.UTF_8));
                    upstream.flush();
                    Thread.sleep(10);
                }
            } catch (IOException pipeClosedByTheServer) {
                // expected
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        gateway.answer(request -> new ClientResponse(200, Map.of("Content-Type", "text/event-stream"),
                upstreamBody, true, closer));

        try (Socket socket = RawHttp.connect(server.address())) {
            RawHttp.write(socket, "POST /v1/chat/completions HTTP/1.1\r\nHost: rotor\r\nContent-Length: 2\r\n\r\n{}");
            RawHttp.readUntil(socket, FIRST_EVENT);
        }

        assertTrue(closer.awaitClose(10), "the server never closed the ClientResponse");
        producer.join(TimeUnit.SECONDS.toMillis(15));
        assertFalse(producer.isAlive(), "the upstream body was not released");
        assertEquals(1, closer.closes());
    }

    private static ClientResponse json(int status, String body) {
        return new ClientResponse(status, Map.of("Content-Type", "application/json"),
                new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)), false, new CountingCloser());
    }

    private HttpRequest.Builder post(String path, String body) {
        return HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(BodyPublishers.ofString(body));
    }

    private HttpRequest.Builder get(String path) {
        return HttpRequest.newBuilder(uri(path)).GET();
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.address().getPort() + path);
    }

    static ServerConfiguration config(String host, int port, long maxBodyBytes) {
        return new ServerConfiguration() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return ServerConfiguration.class;
            }

            @Override
            public String server_host() {
                return host;
            }

            @Override
            public int server_port() {
                return port;
            }

            @Override
            public long server_maxBodyBytes() {
                return maxBodyBytes;
            }
        };
    }
}
