package io.rotor.launcher;

import io.rotor.api.AccountStore;
import io.rotor.api.StoreSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "store", mixinStandardHelpOptions = true, description = "Manage the store.",
        subcommands = {StoreCommand.Migrate.class})
final class StoreCommand {

    @Command(name = "migrate", mixinStandardHelpOptions = true,
            description = "Copy everything (accounts with their encrypted secrets and statistics, users, pools,"
                    + " settings) from the configured store to the other store's path. The source is not changed;"
                    + " a failed copy leaves the target as it was.")
    static final class Migrate implements Callable<Integer> {
        @Mixin
        ConfigOption config;
        @Option(names = "--to", required = true, paramLabel = "STORE", description = "The target store: json or sqlite.")
        String to;
        @Option(names = "--force", description = "Replace the target's content even if it already holds data.")
        boolean force;

        @Override
        public Integer call() {
            RotorConfig loaded = config.load();
            String source = loaded.store();
            String target = to.trim().toLowerCase(Locale.ROOT);
            if (!RotorConfig.STORES.contains(target)) {
                throw new IllegalArgumentException("--to must be one of " + String.join(", ", RotorConfig.STORES)
                        + ", got '" + to + "'");
            }
            Path sourcePath = loaded.storePath(source);
            Path targetPath = loaded.storePath(target);
            if (target.equals(source)) {
                throw new IllegalArgumentException("the configured store is already " + source + " (" + sourcePath
                        + "); migrate copies from the configured store to the other one");
            }
            Leftovers leftovers = Leftovers.before(targetPath);
            boolean copied = false;
            try (RotorRuntime runtime = RotorRuntime.startStores(loaded, List.of(source, target))) {
                StoreSnapshot content = runtime.store(source).snapshot();
                AccountStore destination = runtime.store(target);
                StoreSnapshot existing = destination.snapshot();
                if (!isEmpty(existing) && !force) {
                    throw new IllegalStateException("the " + target + " store " + targetPath + " already holds "
                            + count(existing) + "; nothing was copied. Use --force to replace its content.");
                }
                destination.replaceAll(content);
                requireSameContent(content, destination.snapshot(), targetPath);
                copied = true;
                print(content, source, sourcePath, target, targetPath, loaded.source());
            } finally {
                if (!copied) {
                    leftovers.remove();
                }
            }
            return 0;
        }

        private static void print(StoreSnapshot content, String source, Path sourcePath, String target,
                Path targetPath, Path configFile) {
            System.out.println("Copied from the " + source + " store (" + sourcePath + ") to the " + target + " store ("
                    + targetPath + "):");
            System.out.println("  " + plural(content.accounts().size(), "account")
                    + " (secrets copied as stored, still encrypted; statistics included)");
            System.out.println("  " + plural(content.users().size(), "user"));
            System.out.println("  " + plural(content.pools().size(), "pool"));
            System.out.println("  " + plural(content.settings().size(), "setting"));
            System.out.println("The " + source + " store was not changed. To use the " + target + " store, set"
                    + " 'store = " + target + "' in " + (configFile != null ? configFile : RotorConfig.DEFAULT_FILE)
                    + " and restart 'rotor serve'.");
        }
    }

    private static boolean isEmpty(StoreSnapshot snapshot) {
        return snapshot.accounts().isEmpty() && snapshot.users().isEmpty() && snapshot.pools().isEmpty()
                && snapshot.settings().isEmpty();
    }

    private static String count(StoreSnapshot snapshot) {
        return plural(snapshot.accounts().size(), "account") + ", " + plural(snapshot.users().size(), "user") + ", "
                + plural(snapshot.pools().size(), "pool") + " and " + plural(snapshot.settings().size(), "setting");
    }

    private static String plural(int count, String noun) {
        return count + " " + noun + (count == 1 ? "" : "s");
    }

    /** A read-back check: the stores map the same records, so anything else is a bug worth stopping for. */
    private static void requireSameContent(StoreSnapshot expected, StoreSnapshot actual, Path targetPath) {
        if (!expected.accounts().equals(actual.accounts()) || !expected.users().equals(actual.users())
                || !expected.pools().equals(actual.pools()) || !expected.settings().equals(actual.settings())) {
            throw new IllegalStateException("the copy in " + targetPath + " does not read back equal to the source;"
                    + " keep using the source store and report this");
        }
    }

    /**
     * What a failed migration must not leave behind: the target's file and its companions (lock,
     * temp, WAL files) and the folders created for them, unless they were there before.
     */
    private record Leftovers(List<Path> files, Path createdFolder) {

        static Leftovers before(Path target) {
            List<Path> files = new ArrayList<>();
            for (String suffix : List.of("", ".lock", ".tmp", "-wal", "-shm", "-journal")) {
                Path file = target.resolveSibling(target.getFileName() + suffix);
                if (!Files.exists(file)) {
                    files.add(file);
                }
            }
            Path createdFolder = null;
            for (Path folder = target.getParent(); folder != null && !Files.exists(folder); folder = folder.getParent()) {
                createdFolder = folder;
            }
            return new Leftovers(files, createdFolder);
        }

        void remove() {
            try {
                for (Path file : files) {
                    Files.deleteIfExists(file);
                }
                if (createdFolder != null && Files.exists(createdFolder)) {
                    try (Stream<Path> paths = Files.walk(createdFolder)) {
                        for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                            Files.deleteIfExists(path);
                        }
                    }
                }
            } catch (IOException e) {
                System.err.println("rotor: could not remove what the failed migration created: " + e.getMessage());
            }
        }
    }
}
