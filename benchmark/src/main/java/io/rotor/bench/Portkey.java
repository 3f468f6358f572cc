package io.rotor.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Portkey AI gateway ({@code @portkey-ai/gateway} from npm), installed into a folder of the run
 * and started with Node.js, as a peer measured against the same fake upstream. Portkey reaches the
 * fake as an OpenAI provider with a custom host, which it allows for {@code 127.0.0.1}.
 */
final class Portkey implements AutoCloseable {

    static final String PACKAGE = "@portkey-ai/gateway";

    private final Process process;
    private final InetSocketAddress address;
    private final String version;
    private final Duration startup;

    private Portkey(Process process, InetSocketAddress address, String version, Duration startup) {
        this.process = process;
        this.address = address;
        this.version = version;
        this.startup = startup;
    }

    /** Installs the package with npm into {@code folder} and starts it; waits until it answers. */
    static Portkey start(Path folder, Path log) throws IOException, InterruptedException {
        Files.createDirectories(folder);
        Process npm = new ProcessBuilder("npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix",
                folder.toString(), PACKAGE).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!npm.waitFor(10, TimeUnit.MINUTES) || npm.exitValue() != 0) {
            throw new IOException("npm install " + PACKAGE + " failed; see " + log);
        }
        Path home = folder.resolve("node_modules").resolve(PACKAGE);
        String packageJson = Files.readString(home.resolve("package.json"));
        int at = packageJson.indexOf("\"version\"");
        String version = at < 0 ? "?" : packageJson.substring(packageJson.indexOf('"', at + 10) + 1,
                packageJson.indexOf('"', packageJson.indexOf('"', at + 10) + 1));
        int port = Processes.freePort();
        long started = System.nanoTime();
        Process node = new ProcessBuilder(List.of("node", home.resolve("build/start-server.js").toString(),
                "--port=" + port)).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Processes.listening(address)) {
            if (!node.isAlive() || System.nanoTime() > deadline) {
                node.destroyForcibly();
                throw new IOException("Portkey did not start; see " + log);
            }
            Processes.sleepMillis(5);
        }
        return new Portkey(node, address, version, Duration.ofNanos(System.nanoTime() - started));
    }

    InetSocketAddress address() {
        return address;
    }

    String version() {
        return version;
    }

    long pid() {
        return process.pid();
    }

    /** Time from starting node until its port accepted a connection. */
    Duration startup() {
        return startup;
    }

    /** A request for the fake upstream through Portkey, as an OpenAI provider at a custom host. */
    static byte[] request(InetSocketAddress portkey, int fakePort, String body) {
        String head = "POST /v1/chat/completions HTTP/1.1\r\nHost: " + portkey.getHostString() + ":" + portkey.getPort()
                + "\r\nAuthorization: Bearer sk-bench\r\nx-portkey-provider: openai\r\n"
                + "x-portkey-custom-host: http://127.0.0.1:" + fakePort + "/v1\r\n"
                + "Content-Type: application/json\r\nContent-Length: " + body.getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                + "\r\n\r\n";
        return FakeUpstream.concat(head.getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        Processes.stop(process);
    }
}
