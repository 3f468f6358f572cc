package io.rotor.launcher;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Times the phases of a start when the system property {@value #PROPERTY} is {@code true} (the
 * benchmark sets it), and prints them on one line to standard error; does nothing otherwise.
 */
final class StartupPhases {

    static final String PROPERTY = "rotor.startupPhases";

    private final boolean enabled = Boolean.getBoolean(PROPERTY);
    private final List<String> phases = new ArrayList<>();
    private long last = System.nanoTime();

    /** Ends the phase called {@code name}. */
    void mark(String name) {
        if (!enabled) {
            return;
        }
        long now = System.nanoTime();
        phases.add(String.format(Locale.ROOT, "%s=%d", name, (now - last) / 1_000_000));
        last = now;
    }

    /** Prints the phases, with the time since the JVM started before the first. */
    void print() {
        if (enabled) {
            long jvm = java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime();
            System.err.println("rotor start-up phases (ms): jvmUptime=" + jvm + " " + String.join(" ", phases));
        }
    }
}
