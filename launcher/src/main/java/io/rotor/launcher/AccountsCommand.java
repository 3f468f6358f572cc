package io.rotor.launcher;

import io.rotor.api.Account;
import io.rotor.api.Admin;
import io.rotor.api.NewAccount;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "accounts", mixinStandardHelpOptions = true, description = "Manage upstream accounts.",
        subcommands = {AccountsCommand.Add.class, AccountsCommand.ListAccounts.class})
final class AccountsCommand {

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Add an account. Missing values are prompted for when a terminal is attached.")
    static final class Add implements Callable<Integer> {
        @Mixin
        ConfigOption config;
        @Option(names = "--upstream", paramLabel = "NAME", defaultValue = "openai", description = "Upstream (default: ${DEFAULT-VALUE}).")
        String upstream;
        @Option(names = "--email", paramLabel = "E", description = "Account email (k2think).")
        String email;
        @Option(names = "--password-stdin", description = "Read the password from standard input.")
        boolean passwordStdin;
        @Option(names = "--api-key-stdin", description = "Read the API key from standard input.")
        boolean apiKeyStdin;
        @Option(names = "--credential-file", paramLabel = "F", description = "OAuth credential JSON file (gemini-code-assist).")
        Path credentialFile;
        @Option(names = "--name", paramLabel = "N", description = "Display name.")
        String name;
        @Option(names = "--priority", paramLabel = "P", description = "Priority, lower first (default 1).")
        Integer priority;
        @Option(names = "--weight", paramLabel = "W", description = "Weight for the weighted strategy (default 1).")
        Integer weight;
        @Option(names = "--tags", paramLabel = "a,b", split = ",", description = "Tags.")
        List<String> tags;
        @Option(names = "--pool", paramLabel = "POOL", defaultValue = "default", description = "Pool (default: ${DEFAULT-VALUE}).")
        String pool;
        @Option(names = "--max-concurrent", paramLabel = "N", description = "Requests in flight at once (0 = unlimited).")
        Integer maxConcurrent;
        @Option(names = "--no-validate", description = "Do not check the credential upstream before adding it.")
        boolean noValidate;

        @Override
        public Integer call() throws IOException {
            Map<String, String> secrets = new LinkedHashMap<>();
            BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            Console console = System.console();
            if (apiKeyStdin) {
                secrets.put(Account.SECRET_API_KEY, readLine(stdin, "API key"));
            }
            if (passwordStdin) {
                secrets.put(Account.SECRET_PASSWORD, readLine(stdin, "password"));
            }
            if (credentialFile != null) {
                secrets.put(Account.SECRET_CREDENTIAL, Files.readString(credentialFile, StandardCharsets.UTF_8).trim());
            }
            if (secrets.isEmpty() && console != null) {
                promptForCredential(console, secrets);
            }
            NewAccount account = new NewAccount(upstream, pool, name, email, secrets, priority, weight, tags,
                    maxConcurrent, noValidate ? Boolean.FALSE : null);
            try (RotorRuntime runtime = RotorRuntime.start(config.load(), RotorRuntime.Mode.CLI)) {
                Account added = runtime.await(Admin.class).addAccount(account);
                System.out.println("Added account " + added.id() + " (" + added.upstream() + ", pool " + added.pool()
                        + ")" + (added.email() != null ? " for " + added.maskedEmail() : "") + ".");
            }
            return 0;
        }

        private void promptForCredential(Console console, Map<String, String> secrets) {
            if ("k2think".equals(upstream)) {
                if (email == null) {
                    email = console.readLine("Email: ");
                }
                secrets.put(Account.SECRET_PASSWORD, new String(console.readPassword("Password: ")));
            } else {
                secrets.put(Account.SECRET_API_KEY, new String(console.readPassword("API key: ")));
            }
            if (name == null) {
                String answer = console.readLine("Name (optional): ");
                name = answer == null || answer.isBlank() ? null : answer.trim();
            }
        }

        private static String readLine(BufferedReader stdin, String what) throws IOException {
            String line = stdin.readLine();
            if (line == null || line.isBlank()) {
                throw new IllegalArgumentException("expected the " + what + " on standard input");
            }
            return line.trim();
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List accounts; secrets are never shown and emails are masked.")
    static final class ListAccounts implements Callable<Integer> {
        @Mixin
        ConfigOption config;
        @Option(names = "--json", description = "Print JSON ({\"data\": [...]}).")
        boolean json;
        @Option(names = "--stats", description = "Show request statistics.")
        boolean stats;

        @Override
        public Integer call() {
            try (RotorRuntime runtime = RotorRuntime.start(config.load(), RotorRuntime.Mode.CLI)) {
                List<Account> accounts = runtime.await(Admin.class).accounts();
                System.out.println(json ? CliOutput.accountsJson(accounts) : CliOutput.accountsTable(accounts, stats));
            }
            return 0;
        }
    }

}
