package io.rotor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class FakeUpstreamTest {

    @Test
    void answersCompletionsAndStreamsOverOneKeptAliveConnection() throws Exception {
        try (FakeUpstream fake = new FakeUpstream(0)) {
            InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), fake.port());
            try (HttpConnection connection = new HttpConnection(address, 5_000)) {
                assertEquals(200, connection.call(HttpConnection.request("POST", address, "/v1/chat/completions",
                        "Bearer x", Bench.BODY)));
                List<Integer> events = new ArrayList<>();
                String stream = "{\"model\":\"" + FakeUpstream.streamModel(5, 1) + "\",\"stream\":true}";
                assertEquals(200, connection.stream(HttpConnection.request("POST", address, "/v1/chat/completions",
                        null, stream), (index, at) -> events.add(index)));
                assertEquals(List.of(0, 1, 2, 3, 4, 5), events, "five events and [DONE]");
                assertEquals(200, connection.call(HttpConnection.request("GET", address, "/v1/models", null, null)));
                assertEquals(404, connection.call(HttpConnection.request("GET", address, "/nowhere", null, null)));
                assertTrue(connection.isOpen());
            }
        }
    }

    @Test
    void closedLoopUsesEveryConnectionAndEveryRequest() throws Exception {
        try (FakeUpstream fake = new FakeUpstream(0)) {
            InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), fake.port());
            byte[][] requests = {
                HttpConnection.request("POST", address, "/v1/chat/completions", null, Bench.BODY),
                HttpConnection.request("GET", address, "/v1/models", null, null),
                HttpConnection.request("POST", address, "/v1/completions", null, Bench.BODY)};
            Load.Throughput throughput = Load.closedLoop(address, requests, 8, Duration.ofMillis(300));
            assertEquals(0, throughput.errors());
            assertTrue(throughput.requests() > 8, "every connection sent requests: " + throughput.requests());
        }
    }

    @Test
    void fixedRateRecordsOneLatencyPerIntendedRequest() throws Exception {
        try (FakeUpstream fake = new FakeUpstream(0)) {
            InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), fake.port());
            Histogram latency = Load.histogram();
            long errors = Load.fixedRate(address, HttpConnection.request("POST", address, "/v1/chat/completions", null,
                    Bench.BODY), 200, Duration.ofMillis(500), latency);
            assertEquals(0, errors);
            assertEquals(100, latency.getTotalCount());
        }
    }
}
