package io.rotor.launcher;

import io.rotor.api.Account;
import io.rotor.api.Admin;
import io.rotor.api.RotorException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "import", mixinStandardHelpOptions = true,
        description = {"Import a seed-format accounts.json (from the Node.js K2 Think tool), re-encrypting its"
                + " passwords under Rotor's key. Ids, emails, statuses, statistics, limiter state, priorities, names"
                + " and tags are kept; accounts whose id (or k2think email) already exists are skipped.",
                "The seed's key (64 hex characters) comes from --old-key-stdin, --old-key-file, the environment"
                        + " variable " + SeedImportCommand.OLD_KEY_ENV + ", or a hidden prompt on a terminal."})
final class SeedImportCommand implements Callable<Integer> {

    static final String OLD_KEY_ENV = "ACCOUNT_ENCRYPTION_KEY_OLD";

    @Mixin
    ConfigOption config;
    @Parameters(paramLabel = "FILE", description = "The seed's accounts.json.")
    Path file;
    @Option(names = "--old-key-stdin", description = "Read the seed's encryption key from standard input.")
    boolean oldKeyStdin;
    @Option(names = "--old-key-file", paramLabel = "F", description = "Read the seed's encryption key from a file.")
    Path oldKeyFile;

    private record Outcome(List<String> lines, int imported, int skipped, int failed) {
    }

    @Override
    public Integer call() throws IOException {
        byte[] oldKey = SeedFile.parseKey(oldKey(), "the old key");
        // Everything is decrypted before anything is stored: a wrong key imports nothing.
        List<SeedFile.Entry> entries = SeedFile.read(file, oldKey);
        Outcome outcome = config.withAdmin(admin -> importAll(admin, entries));
        outcome.lines().forEach(System.out::println);
        System.out.println("Imported " + outcome.imported() + ", skipped " + outcome.skipped() + ", failed "
                + outcome.failed() + " of " + entries.size() + " account" + (entries.size() == 1 ? "" : "s")
                + " from " + file + ".");
        return outcome.failed() == 0 ? 0 : 1;
    }

    private String oldKey() throws IOException {
        String given = new SecretInput().keyFromStdinOrFile(oldKeyStdin, oldKeyFile, "old key");
        if (given != null) {
            return given;
        }
        String fromEnvironment = System.getenv(OLD_KEY_ENV);
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            return fromEnvironment;
        }
        SecretInput input = new SecretInput();
        if (!input.hasTerminal()) {
            throw new IllegalArgumentException("no old key: pass --old-key-stdin or --old-key-file F, or set "
                    + OLD_KEY_ENV + " (no terminal to prompt on)");
        }
        return input.askHidden("The seed's encryption key (64 hex characters): ", "old key");
    }

    private static Outcome importAll(Admin admin, List<SeedFile.Entry> entries) {
        Set<String> ids = new HashSet<>();
        Map<String, String> emails = new HashMap<>();
        for (Account existing : admin.accounts()) {
            ids.add(existing.id());
            if (existing.email() != null) {
                emails.put(emailKey(existing), existing.id());
            }
        }
        List<String> lines = new ArrayList<>();
        int imported = 0;
        int skipped = 0;
        int failed = 0;
        for (SeedFile.Entry entry : entries) {
            Account account = entry.account();
            String label = account.id() + " (" + account.displayName() + ")";
            if (ids.contains(account.id())) {
                lines.add("Skipped " + label + ": an account with this id already exists.");
                skipped++;
                continue;
            }
            String sameEmail = account.email() == null ? null : emails.get(emailKey(account));
            if (sameEmail != null) {
                lines.add("Skipped " + label + ": account " + sameEmail + " has the same email.");
                skipped++;
                continue;
            }
            try {
                Account stored = admin.importAccount(account, entry.plainSecrets());
                ids.add(stored.id());
                if (stored.email() != null) {
                    emails.put(emailKey(stored), stored.id());
                }
                lines.add("Imported " + label + ": " + stored.upstream() + ", " + stored.status().wireName() + ", "
                        + stored.stats().totalRequests() + " requests so far.");
                imported++;
            } catch (RotorException e) {
                lines.add("Failed " + label + ": " + e.getMessage());
                failed++;
            }
        }
        return new Outcome(lines, imported, skipped, failed);
    }

    private static String emailKey(Account account) {
        return account.upstream() + " " + account.email().toLowerCase(Locale.ROOT);
    }
}
