package io.rotor.launcher;

import picocli.CommandLine.Command;

@Command(name = "rotor", mixinStandardHelpOptions = true, version = "Rotor 0.1.0",
        description = "An OpenAI-compatible gateway that rotates requests across pooled upstream accounts.",
        subcommands = {ServeCommand.class, AccountsCommand.class, UsersCommand.class, PoolsCommand.class,
                StoreCommand.class, KeysCommand.class, DemoCommand.class, ExampleClientCommand.class})
final class RotorCommand {
}
