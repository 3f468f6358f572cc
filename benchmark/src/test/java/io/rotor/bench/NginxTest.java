package io.rotor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** nginx as the benchmark runs it beside Rotor, where the machine has it (the run goes on without it). */
@Timeout(60)
class NginxTest {

    @TempDir
    Path work;

    @Test
    void theVersionIsReadOffNginxsOwnLine() {
        assertEquals("1.22.1", Nginx.version("nginx version: nginx/1.22.1\n"));
        assertEquals("?", Nginx.version("something else"));
    }

    @Test
    void nginxProxiesRequestsAndPassesEachEventOnAsItComesAndLeavesNoProcessBehind() throws Exception {
        Optional<Path> binary = Nginx.find();
        assumeTrue(binary.isPresent(), "nginx is not installed here");
        List<ProcessHandle> processes;
        try (FakeUpstream fake = new FakeUpstream(0); Nginx nginx = Nginx.start(binary.get(), work, fake.port())) {
            try (HttpConnection connection = new HttpConnection(nginx.address(), 5_000)) {
                assertEquals(200, connection.call(HttpConnection.request("POST", nginx.address(), "/v1/chat/completions",
                        null, Bench.BODY)));
                List<Long> arrivals = new ArrayList<>();
                String stream = "{\"model\":\"" + FakeUpstream.streamModel(4, 150) + "\",\"stream\":true}";
                assertEquals(200, connection.stream(HttpConnection.request("POST", nginx.address(),
                        "/v1/chat/completions", null, stream), (index, at) -> arrivals.add(System.nanoTime())));
                assertEquals(5, arrivals.size());
                // Buffered, every event would arrive at the end; passed on, the first comes 4 gaps before the last.
                assertTrue(arrivals.getLast() - arrivals.getFirst() > TimeUnit.MILLISECONDS.toNanos(400),
                        "events arrived within " + (arrivals.getLast() - arrivals.getFirst()) / 1_000_000 + " ms");
                assertTrue(connection.isOpen());
            }
            // nginx's default closes a client connection after 1,000 requests; the benchmark's rounds send more.
            try (HttpConnection connection = new HttpConnection(nginx.address(), 5_000)) {
                byte[] request = HttpConnection.request("POST", nginx.address(), "/v1/chat/completions", null,
                        Bench.BODY);
                for (int i = 0; i < 1_100; i++) {
                    assertEquals(200, connection.call(request));
                    assertTrue(connection.isOpen(), "nginx closed the connection after request " + (i + 1));
                }
            }
            assertTrue(nginx.cpuTicks() > 0);
            processes = nginx.processes();
            assertTrue(processes.size() >= 2, "master and workers: " + processes);
        }
        for (ProcessHandle process : processes) {
            process.onExit().get(10, TimeUnit.SECONDS);
            assertFalse(process.isAlive());
        }
    }
}
