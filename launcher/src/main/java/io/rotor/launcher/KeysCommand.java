package io.rotor.launcher;

import io.rotor.api.KeyRotation;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "keys", mixinStandardHelpOptions = true, description = "Manage the key that encrypts stored secrets.",
        subcommands = {KeysCommand.Rotate.class})
final class KeysCommand {

    @Command(name = "rotate", mixinStandardHelpOptions = true,
            description = {"Re-encrypt every stored secret under a new encryption key. Safe against a crash: if it"
                    + " is stopped midway, run it again (with the same new key) and it finishes; meanwhile both keys"
                    + " are accepted.",
                    "With the generated key file (data/.encryption_key), a new key is generated into it; a running"
                            + " server picks it up by itself. With a configured key (security.encryptionKey or"
                            + " ACCOUNT_ENCRYPTION_KEY), give the new key with --new-key-stdin or --new-key-file F,"
                            + " then configure it and restart the server."})
    static final class Rotate implements Callable<Integer> {
        @Mixin
        ConfigOption config;
        @Option(names = "--new-key-stdin", description = "Read the new key (64 hex characters) from standard input.")
        boolean newKeyStdin;
        @Option(names = "--new-key-file", paramLabel = "F", description = "Read the new key (64 hex characters) from a file.")
        Path newKeyFile;

        @Override
        public Integer call() {
            RotorConfig loaded = config.load();
            String newKey = new SecretInput().keyFromStdinOrFile(newKeyStdin, newKeyFile, "new key");
            boolean configured = loaded.secret("security.encryptionKey") != null;
            if (configured && newKey == null) {
                throw new IllegalArgumentException("the encryption key is configured (security.encryptionKey or"
                        + " ACCOUNT_ENCRYPTION_KEY): give the new key with --new-key-stdin or --new-key-file F");
            }
            if (!configured && newKey != null) {
                throw new IllegalArgumentException("the encryption key lives in the key file "
                        + loaded.get("security.encryptionKeyFile") + " and keys rotate generates the new one;"
                        + " --new-key-stdin and --new-key-file are for a configured key (security.encryptionKey)");
            }
            try (RotorRuntime runtime = RotorRuntime.startStores(loaded, List.of(loaded.store()))) {
                KeyRotation.Result result = runtime.await(KeyRotation.class)
                        .rotate(runtime.store(loaded.store()), newKey);
                System.out.println(summary(result));
            }
            return 0;
        }

        static String summary(KeyRotation.Result result) {
            String done = (result.resumed() ? "Finished an interrupted key rotation: " : "Rotated the encryption key: ")
                    + result.reencrypted() + " of " + result.accounts() + " account" + (result.accounts() == 1 ? "" : "s")
                    + " re-encrypted now, all under key id " + result.newKeyId()
                    + (result.oldKeyId() == null ? "" : " (was " + result.oldKeyId() + ")") + ". ";
            if (result.keyFile() != null) {
                return done + result.keyFile() + " holds the new key; a running server picks it up by itself.";
            }
            return done + "Now set security.encryptionKey (or ACCOUNT_ENCRYPTION_KEY) to the new key and restart"
                    + " rotor serve; until then a running server skips the accounts it cannot decrypt.";
        }
    }
}
