package io.rotor.transport.http.internal;

import java.io.*;
import java.net.*;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import mockwebserver3.*;
import okio.BufferedSink;
import org.junit.jupiter.api.Test;

class ScratchMwsTest {
    @Test
    void probe() throws Exception {
        CountDownLatch latch = new CountDownLatch(1);
        try (MockWebServer s = new MockWebServer()) {
            s.start();
            s.enqueue(new MockResponse.Builder().code(200).body(new MockResponseBody() {
                public long getContentLength() { return -1; }
                public void writeTo(BufferedSink sink) throws IOException {
                    System.err.println("PROBE sink class " + sink.getClass());
                    sink.writeUtf8("hello\n").flush();
                    System.err.println("PROBE flushed");
                    try { latch.await(); } catch (InterruptedException e) {}
                }
            }).build());
            OkHttpUpstreamClient http = new OkHttpUpstreamClient(OkHttpUpstreamClientTest.config(3000, 3000));
            s.enqueue(new MockResponse.Builder().code(200).body(new MockResponseBody() {
                public long getContentLength() { return -1; }
                public void writeTo(BufferedSink sink) throws IOException {
                    sink.writeUtf8("hello\n").flush();
                    System.err.println("PROBE2 flushed");
                    try { latch.await(); } catch (InterruptedException e) {}
                }
            }).build());
            try (Socket socket = new Socket("127.0.0.1", s.getPort())) {
                socket.setSoTimeout(3000);
                socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
                InputStream in = socket.getInputStream();
                StringBuilder sb = new StringBuilder();
                try {
                    int b; while ((b = in.read()) >= 0) sb.append((char) b);
                } catch (SocketTimeoutException e) { }
                System.err.println("PROBE got: [" + sb.toString().replace("\r","\\r").replace("\n","\\n") + "]");
            }
            try (var r = http.execute(new io.rotor.api.HttpCall("POST", URI.create(s.url("/x").toString()), java.util.Map.of(), "{}".getBytes(), "application/json"))) {
                System.err.println("PROBE2 status " + r.status() + " " + r.headers());
                byte[] b = new byte[100];
                int n = r.body().read(b);
                System.err.println("PROBE2 read " + n);
            } catch (Exception e) { System.err.println("PROBE2 " + e); }
            latch.countDown();
        }
    }
}
