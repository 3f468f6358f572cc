package io.rotor.launcher;

import io.rotor.api.RotorException;
import java.util.Arrays;
import java.util.logging.LogManager;
import picocli.CommandLine;

/** {@code java -jar rotor.jar [command]}: with no command, {@code serve} is meant. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        configureLogging();
        System.exit(run(args));
    }

    /** Runs one command and returns its exit code (0 on success). */
    public static int run(String... args) {
        String[] effective = args.length == 0 || args[0].startsWith("--config") ? prepend("serve", args) : args;
        // Building the model of every command costs a tenth of a second of start-up; a server start needs one.
        boolean serve = effective[0].equals("serve");
        CommandLine commandLine = serve ? new CommandLine(new ServeCommand()).setCommandName("rotor serve")
                : new CommandLine(new RotorCommand());
        if (serve) {
            effective = Arrays.copyOfRange(effective, 1, effective.length);
        }
        commandLine.setExecutionExceptionHandler((failure, line, parsed) -> {
            line.getErr().println("rotor: " + describe(failure));
            return 1;
        });
        // One line, not picocli's usage dump: scripts read the reason, people read --help.
        commandLine.setParameterExceptionHandler((failure, arguments) -> {
            CommandLine line = failure.getCommandLine();
            line.getErr().println("rotor: " + failure.getMessage() + " (see: "
                    + line.getCommandSpec().qualifiedName() + " --help)");
            return line.getCommandSpec().exitCodeOnInvalidInput();
        });
        return commandLine.execute(effective);
    }

    private static String describe(Exception failure) {
        if (failure instanceof RotorException || failure instanceof IllegalArgumentException
                || failure instanceof IllegalStateException) {
            return failure.getMessage();
        }
        return failure.getClass().getSimpleName() + ": " + failure.getMessage();
    }

    private static String[] prepend(String first, String[] rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    private static void configureLogging() {
        if (System.getProperty("java.util.logging.config.file") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format",
                    "%1$tF %1$tT.%1$tL %4$-7s %3$s - %5$s%6$s%n");
            try {
                LogManager.getLogManager().readConfiguration();
            } catch (java.io.IOException e) {
                // keep the JDK's default logging
            }
        }
        Arrays.stream(java.util.logging.Logger.getLogger("").getHandlers())
                .forEach(handler -> handler.setLevel(java.util.logging.Level.INFO));
    }
}
