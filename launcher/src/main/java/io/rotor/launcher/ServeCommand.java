package io.rotor.launcher;

import io.rotor.api.InboundServer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "serve", mixinStandardHelpOptions = true, description = "Start the gateway.")
final class ServeCommand implements Callable<Integer> {

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
        System.out.println("Rotor is ready on http://" + address.getHostString() + ":" + address.getPort()
                + " (Ctrl-C to stop)");
        stopped.await();
        return 0;
    }
}
