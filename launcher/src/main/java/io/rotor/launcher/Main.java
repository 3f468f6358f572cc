package io.rotor.launcher;

import io.rotor.api.RotorException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.logging.LogManager;
import picocli.CommandLine;

/** {@code java -jar rotor.jar [command]}: with no command, {@code serve} is meant. */
public final class Main {

    private Main() {
    }

    /** Set up beside the start of a command; whatever logs first waits for it ({@link #awaitLogging}). */
    private static volatile Thread loggingSetup;

    public static void main(String[] args) {
        loggingSetup = Thread.ofPlatform().name("rotor-logging-setup").start(Main::configureLogging);
        System.exit(run(args));
    }

    /** Returns once the log format and levels are in place (at once when {@link #main} did not run). */
    static void awaitLogging() {
        Thread setup = loggingSetup;
        if (setup == null) {
            return;
        }
        try {
            setup.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs one command and returns its exit code (0 on success). */
    public static int run(String... args) {
        String[] effective = args.length == 0 || args[0].startsWith("--config") ? prepend("serve", args) : args;
        ServeCommand plain = plainServe(effective);
        if (plain != null) {
            try {
                return plain.call();
            } catch (Exception e) {
                System.err.println("rotor: " + describe(e));
                return 1;
            }
        }
        return withPicocli(effective);
    }

    /** Runs a command through picocli (every command but a plain {@code serve}). */
    static int withPicocli(String[] effective) {
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

    /**
     * {@code serve} alone or with {@code --config FILE}, as a service manager starts Rotor, without
     * picocli: its classes target Java 5, which the class-data archive cannot hold, and building even
     * one command's model takes a quarter of a second of a cold start. Anything else (help, a typo,
     * another option) is left to picocli, which knows the command and reports errors its way.
     */
    static ServeCommand plainServe(String[] args) {
        if (!args[0].equals("serve")) {
            return null;
        }
        String file;
        if (args.length == 1) {
            file = null;
        } else if (args.length == 3 && args[1].equals("--config")) {
            file = args[2];
        } else if (args.length == 2 && args[1].startsWith("--config=")) {
            file = args[1].substring("--config=".length());
        } else {
            return null;
        }
        ServeCommand command = new ServeCommand();
        command.config = new ConfigOption();
        if (file != null) {
            // "@file" is picocli's argument file: left to picocli.
            if (file.isEmpty() || file.startsWith("-") || file.startsWith("@")) {
                return null;
            }
            try {
                command.config.file = Path.of(file);
            } catch (InvalidPathException e) {
                return null;
            }
        }
        return command;
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
