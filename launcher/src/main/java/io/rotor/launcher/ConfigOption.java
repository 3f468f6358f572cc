package io.rotor.launcher;

import io.rotor.api.Admin;
import java.nio.file.Path;
import java.util.function.Function;
import picocli.CommandLine.Option;

/** The {@code --config FILE} option every command takes. */
final class ConfigOption {

    @Option(names = "--config", paramLabel = "FILE",
            description = "Config file (default: rotor.properties in the working directory, if present).")
    Path file;

    RotorConfig load() {
        return RotorConfig.load(file);
    }

    /** Starts the engine on the configured store (no HTTP server), runs {@code action} with it, then stops it. */
    <T> T withAdmin(Function<Admin, T> action) {
        return withAdmin(load(), action);
    }

    static <T> T withAdmin(RotorConfig config, Function<Admin, T> action) {
        try (RotorRuntime runtime = RotorRuntime.start(config, RotorRuntime.Mode.CLI)) {
            return action.apply(runtime.await(Admin.class));
        }
    }
}
