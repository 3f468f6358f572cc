package io.rotor.launcher;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --config FILE} option every command takes. */
final class ConfigOption {

    @Option(names = "--config", paramLabel = "FILE",
            description = "Config file (default: rotor.properties in the working directory, if present).")
    Path file;

    RotorConfig load() {
        return RotorConfig.load(file);
    }
}
