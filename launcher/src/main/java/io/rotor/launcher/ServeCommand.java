package io.rotor.launcher;

import io.rotor.api.InboundServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "serve", mixinStandardHelpOptions = true, description = "Start the gateway.")
final class ServeCommand implements Callable<Integer> {

    /**
     * Set by {@code bin/rotor} on a start that records the start-up cache: the file it names is created
     * once the server is ready, so that only a run that got as far as serving becomes the cache.
     */
    static final String AOT_READY_FILE = "rotor.aotReadyFile";

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() throws InterruptedException {
        RotorRuntime runtime = RotorRuntime.start(config.load(), RotorRuntime.Mode.SERVE);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // SIGTERM or Ctrl-C: stop the bundles, which flushes statistics to the store.
            runtime.close();
            stopped.countDown();
        }, "rotor-shutdown"));
        var address = runtime.await(InboundServer.class).address();
        // Before the ready line, which is what scripts and tests wait for.
        markReady(System.getProperty(AOT_READY_FILE));
        System.out.println("Rotor is ready on http://" + address.getHostString() + ":" + address.getPort()
                + " (Ctrl-C to stop)");
        stopped.await();
        return 0;
    }

    static void markReady(String file) {
        if (file == null || file.isBlank()) {
            return;
        }
        try {
            Files.writeString(Path.of(file), "");
        } catch (IOException | RuntimeException e) {
            // Without the mark the recording is dropped and the next start records again.
        }
    }
}
