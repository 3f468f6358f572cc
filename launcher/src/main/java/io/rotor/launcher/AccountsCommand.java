package io.rotor.launcher;

import io.rotor.api.Account;
import io.rotor.api.AccountStatus;
import io.rotor.api.AccountUpdate;
import io.rotor.api.NewAccount;
import io.rotor.api.Views;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "accounts", mixinStandardHelpOptions = true, description = "Manage upstream accounts.",
        subcommands = {AccountsCommand.Add.class, AccountsCommand.ListAccounts.class, AccountsCommand.Test.class,
                AccountsCommand.Stats.class, AccountsCommand.Update.class, AccountsCommand.Remove.class,
                AccountsCommand.Reset.class, SeedImportCommand.class})
final class AccountsCommand {

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Add an account. Secrets come from standard input or a file, never from the command line;"
                    + " with a terminal attached, missing values are prompted for (secrets hidden).")
    static final class Add implements Callable<Integer> {
        @Mixin
        ConfigOption config;
        @Option(names = "--upstream", paramLabel = "NAME", defaultValue = "openai", description = "Upstream (default: ${DEFAULT-VALUE}).")
        String upstream;
        @Option(names = "--email", paramLabel = "E", description = "Account email (k2think).")
        String email;
        @Option(names = "--password-stdin", description = "Read the password from standard input (k2think).")
        boolean passwordStdin;
        @Option(names = "--api-key-stdin", description = "Read the API key from standard input (openai).")
        boolean apiKeyStdin;
        @Option(names = "--credential-file", paramLabel = "F", description = "OAuth credential JSON file, e.g. the Gemini CLI's oauth_creds.json (gemini-code-assist).")
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
            RotorConfig loaded = config.load();
            String type = loaded.settings().getOrDefault("upstream." + upstream + ".type", upstream);
            SecretInput input = new SecretInput();
            Map<String, String> secrets = new LinkedHashMap<>();
            if (apiKeyStdin) {
                secrets.put(Account.SECRET_API_KEY, input.stdinLine("API key"));
            }
            if (passwordStdin) {
                secrets.put(Account.SECRET_PASSWORD, input.stdinLine("password"));
            }
            if (credentialFile != null) {
                secrets.put(Account.SECRET_CREDENTIAL, readCredential(credentialFile));
            }
            boolean prompted = switch (type) {
                case "k2think" -> askK2Think(input, secrets);
                case "gemini-code-assist" -> askCredentialFile(input, secrets);
                default -> askApiKey(input, secrets);
            };
            if (prompted && name == null) {
                name = input.ask("Name (optional): ");
            }
            NewAccount account = new NewAccount(upstream, pool, name, email, secrets, priority, weight, tags,
                    maxConcurrent, noValidate ? Boolean.FALSE : null);
            Account added = ConfigOption.withAdmin(loaded, admin -> admin.addAccount(account));
            System.out.println("Added account " + added.id() + " (" + added.upstream() + ", pool " + added.pool()
                    + ")" + (added.email() != null ? " for " + added.maskedEmail() : "") + ".");
            return 0;
        }

        private boolean askK2Think(SecretInput input, Map<String, String> secrets) {
            boolean prompted = false;
            if (email == null) {
                requireTerminal(input, "a " + upstream + " account needs --email E");
                email = input.ask("Email: ");
                prompted = true;
            }
            if (!secrets.containsKey(Account.SECRET_PASSWORD)) {
                requireTerminal(input, "a " + upstream + " account needs its password: pass it on standard input"
                        + " with --password-stdin");
                secrets.put(Account.SECRET_PASSWORD, input.askHidden("Password: ", "password"));
                prompted = true;
            }
            return prompted;
        }

        private boolean askCredentialFile(SecretInput input, Map<String, String> secrets) throws IOException {
            if (secrets.containsKey(Account.SECRET_CREDENTIAL)) {
                return false;
            }
            requireTerminal(input, "a " + upstream + " account needs --credential-file F (its oauth_creds.json)");
            String path = input.ask("Credential file (oauth_creds.json): ");
            if (path == null) {
                throw new IllegalArgumentException("no credential file given");
            }
            secrets.put(Account.SECRET_CREDENTIAL, readCredential(Path.of(path)));
            return true;
        }

        private boolean askApiKey(SecretInput input, Map<String, String> secrets) {
            if (!secrets.isEmpty()) {
                return false;
            }
            requireTerminal(input, "an " + upstream + " account needs its API key: pass it on standard input with"
                    + " --api-key-stdin");
            secrets.put(Account.SECRET_API_KEY, input.askHidden("API key: ", "API key"));
            return true;
        }

        /** Without a terminal there is nobody to ask: fail at once rather than wait on standard input. */
        private static void requireTerminal(SecretInput input, String reason) {
            if (!input.hasTerminal()) {
                throw new IllegalArgumentException(reason + " (no terminal to prompt on)");
            }
        }

        private static String readCredential(Path file) throws IOException {
            try {
                return Files.readString(file, StandardCharsets.UTF_8).trim();
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException("credential file not found: " + file.toAbsolutePath());
            }
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
            List<Account> accounts = config.withAdmin(admin -> admin.accounts());
            System.out.println(json ? CliOutput.accountsJson(accounts) : CliOutput.accountsTable(accounts, stats));
            return 0;
        }
    }

    @Command(name = "test", mixinStandardHelpOptions = true,
            description = "Check an account's credential against its upstream; marks it invalid if refused.")
    static final class Test implements Callable<Integer> {
        @Mixin
        ConfigOption config;
        @Parameters(paramLabel = "ID", description = "The account's id.")
        String id;

        @Override
        public Integer call() {
            String refusal = config.withAdmin(admin -> admin.validateAccount(id));
            if (refusal != null) {
                System.err.println("rotor: account " + id + " is invalid (now marked so): " + refusal);
                return 1;
            }
            System.out.println("valid");
            return 0;
        }
    }

    @Command(name = "stats", mixinStandardHelpOptions = true,
            description = "Per-account and total statistics: requests, successes, failures, rate-limit hits, success rate.")
    static final class Stats implements Callable<Integer> {
        @Mixin
        ConfigOption config;
        @Option(names = "--json", description = "Print JSON ({\"totals\": {...}, \"accounts\": [...]}).")
        boolean json;

        @Override
        public Integer call() {
            List<Account> accounts = config.withAdmin(admin -> admin.accounts());
            System.out.println(json ? CliOutput.statisticsJson(accounts) : CliOutput.statisticsTable(accounts));
            return 0;
        }
    }

    @Command(name = "update", mixinStandardHelpOptions = true, description = "Change an account's editable fields.")
    static final class Update implements Callable<Integer> {
        @Mixin
        ConfigOption config;
        @Parameters(paramLabel = "ID", description = "The account's id.")
        String id;
        @Option(names = "--name", paramLabel = "N", description = "Display name.")
        String name;
        @Option(names = "--priority", paramLabel = "P", description = "Priority, lower first.")
        Integer priority;
        @Option(names = "--weight", paramLabel = "W", description = "Weight for the weighted strategy.")
        Integer weight;
        @Option(names = "--status", paramLabel = "S", description = "active, inactive or blocked.")
        String status;
        @Option(names = "--tags", paramLabel = "a,b", description = "Tags, replacing the current ones (\"\" clears them).")
        String tags;
        @Option(names = "--pool", paramLabel = "POOL", description = "Move the account to this pool.")
        String pool;
        @Option(names = "--max-concurrent", paramLabel = "N", description = "Requests in flight at once (0 = unlimited).")
        Integer maxConcurrent;
        @Option(names = "--json", description = "Print the updated account as JSON.")
        boolean json;

        @Override
        public Integer call() {
            AccountUpdate update = new AccountUpdate(name, priority, weight, tags == null ? null : splitTags(tags),
                    status == null ? null : AccountStatus.parse(status), pool, maxConcurrent);
            Account updated = config.withAdmin(admin -> admin.updateAccount(id, update));
            System.out.println(json ? CliOutput.json(Views.account(updated, false))
                    : "Updated account " + updated.id() + ".\n" + CliOutput.accountsTable(List.of(updated), false));
            return 0;
        }

        private static List<String> splitTags(String tags) {
            return Arrays.stream(tags.split(",")).map(String::trim).filter(t -> !t.isEmpty()).toList();
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Remove an account.")
    static final class Remove implements Callable<Integer> {
        @Mixin
        ConfigOption config;
        @Parameters(paramLabel = "ID", description = "The account's id.")
        String id;

        @Override
        public Integer call() {
            config.withAdmin(admin -> {
                admin.removeAccount(id);
                return null;
            });
            System.out.println("Removed account " + id + ".");
            return 0;
        }
    }

    @Command(name = "reset", mixinStandardHelpOptions = true,
            description = "Clear the rate-limit windows and cooldowns of all accounts.")
    static final class Reset implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Override
        public Integer call() {
            int count = config.withAdmin(admin -> admin.resetRateLimits());
            System.out.println("Cleared the rate-limit windows and cooldowns of " + count + " account"
                    + (count == 1 ? "" : "s") + ".");
            return 0;
        }
    }
}
