package io.rotor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
            long errors = Load.fixedRate(new Load.Call(address, HttpConnection.request("POST", address,
                    "/v1/chat/completions", null, Bench.BODY), latency), 200, Duration.ofMillis(500));
            assertEquals(0, errors);
            assertEquals(100, latency.getTotalCount());
        }
    }

    @Test
    void interleavedTargetsEachKeepTheirRateAndNoneIsChargedForAnothersSlowExchanges() throws Exception {
        try (FakeUpstream fake = new FakeUpstream(0)) {
            InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), fake.port());
            Histogram calls = Load.histogram();
            Histogram first = Load.histogram();
            Histogram gaps = Load.histogram();
            // Each stream lasts at least 20 ms (three events 10 ms apart), twice the 10 ms between intended starts.
            byte[] slow = HttpConnection.request("POST", address, "/v1/chat/completions", null,
                    "{\"model\":\"" + FakeUpstream.streamModel(3, 10) + "\",\"stream\":true}");
            long errors = Load.fixedRate(List.of(new Load.Call(address, HttpConnection.request("POST", address,
                    "/v1/chat/completions", null, Bench.BODY), calls), new Load.Stream(address, slow, first, gaps)),
                    100, Duration.ofMillis(600), Duration.ofMillis(100));
            assertEquals(0, errors);
            assertEquals(60, calls.getTotalCount());
            assertEquals(60, first.getTotalCount());
            assertEquals(180, gaps.getTotalCount(), "two more events and [DONE] after the first of each stream");
            // Within its turn of ten, each stream starts behind the last and is timed from its intended start:
            // the tenth starts at least 90 ms late.
            assertTrue(first.getMaxValue() >= TimeUnit.MILLISECONDS.toNanos(90), "max " + first.getMaxValue());
            // The plain calls' turns start schedules of their own: the streams' lateness is not theirs.
            assertTrue(calls.getValueAtPercentile(50) < TimeUnit.MILLISECONDS.toNanos(10),
                    "median " + calls.getValueAtPercentile(50));
        }
    }
}
