package io.rotor.launcher;

import io.rotor.api.Admin;
import io.rotor.api.CreatedUser;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "users", mixinStandardHelpOptions = true, description = "Manage the gateway's users.",
        subcommands = {UsersCommand.Add.class, UsersCommand.ListUsers.class})
final class UsersCommand {

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Create a user; prints its API key once.")
    static final class Add implements Callable<Integer> {
        @Mixin
        ConfigOption config;
        @Parameters(paramLabel = "NAME", description = "The user's name.")
        String name;
        @Option(names = "--pool", paramLabel = "POOL", defaultValue = "default", description = "Pool its requests use.")
        String pool;

        @Override
        public Integer call() {
            try (RotorRuntime runtime = RotorRuntime.start(config.load(), RotorRuntime.Mode.CLI)) {
                CreatedUser created = runtime.await(Admin.class).addUser(name, pool);
                System.out.println("Created user " + created.user().name() + " (" + created.user().id() + ") in pool "
                        + created.user().pool() + ".");
                System.out.println("API key (shown once, store it now): " + created.apiKey());
            }
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List users (keys are never shown).")
    static final class ListUsers implements Callable<Integer> {
        @Mixin
        ConfigOption config;
        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() {
            try (RotorRuntime runtime = RotorRuntime.start(config.load(), RotorRuntime.Mode.CLI)) {
                var users = runtime.await(Admin.class).users();
                System.out.println(json ? CliOutput.usersJson(users) : CliOutput.usersTable(users));
            }
            return 0;
        }
    }
}
