package io.rotor.launcher;

import io.rotor.client.example.InProcessExample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "example-client", mixinStandardHelpOptions = true,
        description = {"Run the in-process Java client's example (io.rotor.client.example.InProcessExample): Rotor"
                + " inside this process, no HTTP server; rotation, a stream, a cooldown, resetRateLimits and stats.",
                "Without --base-url it uses a built-in fake upstream with three keys and needs no network. It runs on"
                        + " a temporary store and never reads rotor.properties or touches your data."})
final class ExampleClientCommand implements Callable<Integer> {

    private static final DemoUpstream.Limit GENEROUS = new DemoUpstream.Limit(100, Duration.ofMinutes(1));

    @Option(names = "--base-url", paramLabel = "URL",
            description = "An OpenAI-compatible upstream's base URL, including /v1; its API keys are read from"
                    + " standard input, one per line.")
    String baseUrl;
    @Option(names = "--model", paramLabel = "MODEL", description = "The model to ask (with --base-url).")
    String model;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if ((baseUrl == null) != (model == null)) {
            throw new ParameterException(spec.commandLine(), "--base-url and --model go together");
        }
        Path data = Files.createTempDirectory("rotor-example-");
        try {
            if (baseUrl != null) {
                List<String> keys = InProcessExample.apiKeysFromStdin();
                if (keys.isEmpty()) {
                    throw new ParameterException(spec.commandLine(), "no API keys on standard input (one per line)");
                }
                InProcessExample.run(baseUrl, model, keys, data, spec.commandLine().getOut());
                return 0;
            }
            try (DemoUpstream upstream = new DemoUpstream(Map.of("demo-key-1", GENEROUS, "demo-key-2", GENEROUS,
                    "demo-key-3", GENEROUS), Clock.systemUTC())) {
                InProcessExample.run(upstream.baseUrl(), DemoUpstream.CHAT_MODEL,
                        List.of("demo-key-1", "demo-key-2", "demo-key-3"), data, spec.commandLine().getOut());
            }
            return 0;
        } finally {
            DemoCommand.deleteQuietly(data);
        }
    }
}
