package io.rotor.bench;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * nginx as a reverse proxy in front of the fake, when this machine has it: an HTTP-aware proxy on event
 * loops, written in C, measured in the same rounds as Rotor. The bare relays forward bytes without
 * reading HTTP; nginx parses each request and response as Rotor does, so it tells what a mature HTTP
 * proxy reaches on the same cores. It runs with upstream keep-alive (HTTP/1.1, a pool per worker),
 * response buffering off (streams pass through as they come, as Rotor passes them) and no access log,
 * and as many workers as there are processors (nginx's {@code auto}).
 */
final class Nginx implements AutoCloseable {

    /** Where Debian and most distributions put the binary, beside the folders on the PATH. */
    private static final List<String> USUAL_FOLDERS = List.of("/usr/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin");
    private static final Pattern VERSION = Pattern.compile("nginx/(\\S+)");

    private final Process master;
    private final InetSocketAddress address;
    private final String version;
    private final String config;

    private Nginx(Process master, InetSocketAddress address, String version, String config) {
        this.master = master;
        this.address = address;
        this.version = version;
        this.config = config;
    }

    /** The nginx binary on the PATH or in a usual system folder, if there is one. */
    static Optional<Path> find() {
        List<String> folders = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            folders.addAll(List.of(path.split(File.pathSeparator)));
        }
        folders.addAll(USUAL_FOLDERS);
        return folders.stream().filter(folder -> !folder.isEmpty()).map(folder -> Path.of(folder, "nginx"))
                .filter(Files::isExecutable).findFirst();
    }

    /** Starts nginx from {@code binary}, its files in {@code folder}, proxying to the fake on {@code fakePort}. */
    static Nginx start(Path binary, Path folder, int fakePort) throws IOException, InterruptedException {
        Files.createDirectories(folder.resolve("logs"));
        int port = Processes.freePort();
        String text = config(folder, port, fakePort);
        Path config = Files.writeString(folder.resolve("nginx.conf"), text);
        String version = version(Processes.run(binary.toString(), "-v"));
        Process master = new ProcessBuilder(binary.toString(), "-p", folder.toString(), "-c", config.toString(),
                "-e", folder.resolve("logs/error.log").toString())
                .redirectErrorStream(true).redirectOutput(folder.resolve("logs/output.log").toFile()).start();
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!Processes.listening(address)) {
            if (!master.isAlive() || System.nanoTime() > deadline) {
                stop(master);
                throw new IOException("nginx did not start; see " + folder.resolve("logs"));
            }
            Processes.sleepMillis(5);
        }
        return new Nginx(master, address, version, text);
    }

    /**
     * The whole configuration. Keep-alive requests are unbounded on both sides: nginx's default closes a
     * connection after 1,000 requests, which would make the load generator reconnect during a round.
     */
    static String config(Path folder, int port, int fakePort) {
        String dir = folder.toAbsolutePath().toString();
        return String.join("\n",
                "daemon off;",
                "worker_processes auto;",
                "pid " + dir + "/nginx.pid;",
                "error_log " + dir + "/logs/error.log warn;",
                "events { worker_connections 8192; }",
                "http {",
                "  access_log off;",
                "  client_body_temp_path " + dir + "/client-body;",
                "  proxy_temp_path " + dir + "/proxy;",
                "  upstream fake {",
                "    server 127.0.0.1:" + fakePort + ";",
                "    keepalive " + Bench.CONNECTIONS * 2 + ";",
                "    keepalive_requests 1000000000;",
                "  }",
                "  server {",
                "    listen 127.0.0.1:" + port + ";",
                "    keepalive_requests 1000000000;",
                "    location / {",
                "      proxy_pass http://fake;",
                "      proxy_http_version 1.1;",
                "      proxy_set_header Connection \"\";",
                "      proxy_buffering off;",
                "    }",
                "  }",
                "}",
                "");
    }

    /** The version out of {@code nginx -v}'s line ("nginx version: nginx/1.22.1"). */
    static String version(String output) {
        Matcher matcher = VERSION.matcher(output);
        return matcher.find() ? matcher.group(1) : "?";
    }

    InetSocketAddress address() {
        return address;
    }

    String version() {
        return version;
    }

    /** The configuration it runs with. */
    String config() {
        return config;
    }

    /** The master and its workers. */
    List<ProcessHandle> processes() {
        List<ProcessHandle> all = new ArrayList<>(List.of(master.toHandle()));
        all.addAll(master.toHandle().descendants().toList());
        return all;
    }

    /** CPU time of the master and its workers, in clock ticks. */
    long cpuTicks() {
        return processes().stream().mapToLong(process -> Bench.cpuTicks(process.pid())).sum();
    }

    @Override
    public void close() {
        stop(master);
    }

    /** The master ends its workers when it is asked to stop; workers left by a killed master are ended too. */
    private static void stop(Process master) {
        List<ProcessHandle> workers = master.toHandle().descendants().toList();
        Processes.stop(master);
        workers.forEach(ProcessHandle::destroyForcibly);
    }
}
