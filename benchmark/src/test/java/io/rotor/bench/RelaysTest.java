package io.rotor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Both bare relays, each in a JVM of its own as the benchmark starts them, in front of the fake. */
@Timeout(60)
class RelaysTest {

    @TempDir
    Path work;

    @ParameterizedTest
    @ValueSource(strings = {"threads", "event loops"})
    void aRelayCarriesRequestsStreamsAndLargeBodiesBothWays(String kind) throws Exception {
        try (FakeUpstream fake = new FakeUpstream(0)) {
            int[] port = new int[1];
            Path log = work.resolve("relay.log");
            Class<?> relayClass = kind.equals("threads") ? Relay.class : EventLoopRelay.class;
            try (Processes.Running relay = Processes.startRelay(relayClass, fake.port(), log, port)) {
                InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port[0]);
                try (HttpConnection connection = new HttpConnection(address, 5_000)) {
                    assertEquals(200, connection.call(HttpConnection.request("POST", address, "/v1/chat/completions",
                            null, Bench.BODY)));
                    List<Integer> events = new ArrayList<>();
                    String stream = "{\"model\":\"" + FakeUpstream.streamModel(5, 1) + "\",\"stream\":true}";
                    assertEquals(200, connection.stream(HttpConnection.request("POST", address, "/v1/chat/completions",
                            null, stream), (index, at) -> events.add(index)));
                    assertEquals(List.of(0, 1, 2, 3, 4, 5), events);
                    // Far more than a socket's buffers: the relay must wait for the upstream to take it.
                    byte[] large = new byte[8 * 1024 * 1024];
                    Arrays.fill(large, (byte) 'x');
                    String body = "{\"model\":\"bench\",\"pad\":\"" + new String(large, StandardCharsets.US_ASCII) + "\"}";
                    assertEquals(200, connection.call(HttpConnection.request("POST", address, "/v1/chat/completions",
                            null, body)));
                    assertTrue(connection.isOpen());
                }
                Load.Throughput load = Load.closedLoop(address, new byte[][] {
                    HttpConnection.request("POST", address, "/v1/chat/completions", null, Bench.BODY)},
                        16, Duration.ofMillis(500));
                assertEquals(0, load.errors());
                assertTrue(load.requests() > 16, "requests: " + load.requests());
            } finally {
                if (Files.exists(log)) {
                    System.out.print(Files.readString(log));
                }
            }
        }
    }
}
