package io.rotor.launcher;

import io.rotor.api.CreatedUser;
import io.rotor.api.User;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "users", mixinStandardHelpOptions = true, description = "Manage the gateway's users.",
        subcommands = {UsersCommand.Add.class, UsersCommand.ListUsers.class, UsersCommand.Remove.class})
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
            CreatedUser created = config.withAdmin(admin -> admin.addUser(name, pool));
            System.out.println("Created user " + created.user().name() + " (" + created.user().id() + ") in pool "
                    + created.user().pool() + ".");
            System.out.println("API key (shown once, store it now): " + created.apiKey());
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List users (keys are never shown).")
    static final class ListUsers implements Callable<Integer> {
        @Mixin
        ConfigOption config;
        @Option(names = "--json", description = "Print JSON ({\"data\": [...]}).")
        boolean json;

        @Override
        public Integer call() {
            List<User> users = config.withAdmin(admin -> admin.users());
            System.out.println(json ? CliOutput.usersJson(users) : CliOutput.usersTable(users));
            return 0;
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = "Remove a user; its key stops working (a running server drops it within about a second).")
    static final class Remove implements Callable<Integer> {
        @Mixin
        ConfigOption config;
        @Parameters(paramLabel = "ID", description = "The user's id (see users list).")
        String id;

        @Override
        public Integer call() {
            config.withAdmin(admin -> {
                admin.removeUser(id);
                return null;
            });
            System.out.println("Removed user " + id + ".");
            return 0;
        }
    }
}
