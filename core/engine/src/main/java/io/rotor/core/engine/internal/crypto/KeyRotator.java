package io.rotor.core.engine.internal.crypto;

import io.rotor.api.Account;
import io.rotor.api.AccountStore;
import io.rotor.api.ErrorCode;
import io.rotor.api.KeyRotation;
import io.rotor.api.RotorException;
import io.rotor.core.engine.internal.crypto.AesGcmSecretCipher.KeyFiles;
import io.rotor.core.engine.internal.crypto.AesGcmSecretCipher.KeyMaterial;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * One run of {@code rotor keys rotate}. Every account's secrets are under the old or the new key at
 * any moment, and its {@code encryptionKeyId} says which; the store writes each batch atomically.
 *
 * <p>With a key file, each step below is one atomic file operation, and every state in between is
 * one that the CLI and a running server can read (they look for the two extra files by key id):
 * <ol>
 * <li>the new key is written to {@code .encryption_key.new}; from now on every process encrypts under it;
 * <li>every account not under the new key is re-encrypted;
 * <li>the old key is hard-linked to {@code .encryption_key.old}, and {@code .new} is renamed over the key file;
 * <li>accounts a server wrote under the old key meanwhile are re-encrypted, and {@code .old} is deleted.
 * </ol>
 * A run that finds {@code .new} or {@code .old} takes up the rotation where the last one stopped.
 * With a configured key there is no file: a second run with the same new key re-encrypts what is left.
 */
final class KeyRotator {

    /** Accounts re-encrypted per store write: few enough to keep each write short, many enough for big stores. */
    static final int BATCH = 50;

    private final AesGcmSecretCipher cipher;
    private final AccountStore store;

    KeyRotator(AesGcmSecretCipher cipher, AccountStore store) {
        this.cipher = cipher;
        this.store = store;
    }

    KeyRotation.Result rotate(String newHexKey) {
        return cipher.configuredKey() != null ? rotateConfigured(newHexKey) : rotateKeyFile(newHexKey);
    }

    private KeyRotation.Result rotateConfigured(String newHexKey) {
        if (newHexKey == null || newHexKey.isBlank()) {
            throw badRequest("the encryption key is configured (security.encryptionKey or ACCOUNT_ENCRYPTION_KEY):"
                    + " give the new key with --new-key-stdin or --new-key-file F");
        }
        KeyMaterial target;
        try {
            target = KeyMaterial.parse(newHexKey, "the new key must be 64 hex characters (32 bytes)");
        } catch (RotorException e) {
            throw badRequest(e.getMessage());
        }
        KeyMaterial old = cipher.configuredKey();
        if (target.id().equals(old.id())) {
            throw badRequest("the new key is the configured key (id " + old.id() + "): give another key");
        }
        Sweep sweep = reencrypt(List.of(old, target), target);
        return new KeyRotation.Result(old.id(), target.id(), sweep.reencrypted(), sweep.accounts(),
                sweep.alreadyMoved() > 0, null);
    }

    private KeyRotation.Result rotateKeyFile(String newHexKey) {
        if (newHexKey != null) {
            throw badRequest("the encryption key lives in the key file " + cipher.keyFile()
                    + " and keys rotate generates the new one there; --new-key-stdin and --new-key-file are for"
                    + " a configured key (security.encryptionKey)");
        }
        // Two rotations at once would each retire the key the other still needs: the second one waits.
        Path lockFile = AesGcmSecretCipher.sibling(cipher.keyFile(), ".lock");
        try {
            Files.createDirectories(lockFile.getParent());
            try (FileChannel channel = FileChannel.open(lockFile, java.util.Set.of(StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE), AesGcmSecretCipher.ownerOnly(lockFile));
                    FileLock lock = channel.lock()) {
                return rotateKeyFileLocked();
            }
        } catch (IOException e) {
            throw keyFileError("lock " + lockFile, e);
        }
    }

    private KeyRotation.Result rotateKeyFileLocked() {
        cipher.refreshKeyFiles();
        KeyFiles files = cipher.keyFiles();
        boolean resumed = files.pending() != null || files.retired() != null;
        if (!resumed) {
            if (files.current() == null) {
                throw badRequest("there is no encryption key yet (no " + cipher.keyFile() + "), so no secret to"
                        + " re-encrypt: nothing to rotate");
            }
            // Another run racing this one may create it first; then its key is the new key for both.
            AesGcmSecretCipher.createKeyFile(cipher.pendingFile(), AesGcmSecretCipher.generateHexKey());
            cipher.refreshKeyFiles();
            files = cipher.keyFiles();
        }
        KeyMaterial target;
        String oldKeyId;
        int reencrypted = 0;
        if (files.pending() != null) {
            target = files.pending().key();
            oldKeyId = files.current() == null ? null : files.current().key().id();
            reencrypted += reencrypt(files.keys(), target).reencrypted();
            promote();
        } else {
            target = files.current().key();
            oldKeyId = files.retired().key().id();
        }
        cipher.refreshKeyFiles();
        Sweep last = reencrypt(cipher.keyFiles().keys(), target);
        reencrypted += last.reencrypted();
        Path folder = cipher.keyFile().getParent();
        try {
            Files.deleteIfExists(cipher.retiredFile());
            // Temp files a killed run left behind (a key file half written, a link not yet renamed).
            try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(folder,
                    cipher.keyFile().getFileName() + ".*.tmp")) {
                for (Path leftover : leftovers) {
                    Files.deleteIfExists(leftover);
                }
            }
            AesGcmSecretCipher.forceDirectory(folder);
        } catch (IOException e) {
            throw keyFileError("delete the old key " + cipher.retiredFile(), e);
        }
        cipher.refreshKeyFiles();
        return new KeyRotation.Result(oldKeyId, target.id(), reencrypted, last.accounts(), resumed,
                cipher.keyFile().toString());
    }

    /** Step 3: the old key to {@code .old} (a hard link), then the new key over the key file; both renames. */
    private void promote() {
        Path keyFile = cipher.keyFile();
        Path link = AesGcmSecretCipher.sibling(cipher.retiredFile(), ".tmp");
        try {
            Files.deleteIfExists(link);
            try {
                Files.createLink(link, keyFile);
            } catch (UnsupportedOperationException e) {
                Files.copy(keyFile, link);
            }
            Files.move(link, cipher.retiredFile(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            // rename(2) leaves the source when both names are already links to one file (a rerun).
            Files.deleteIfExists(link);
        } catch (NoSuchFileException e) {
            // No old key file (deleted by hand): there is nothing to keep, the sweeps said so.
        } catch (IOException e) {
            throw keyFileError("keep the old key as " + cipher.retiredFile(), e);
        }
        try {
            Files.move(cipher.pendingFile(), keyFile, StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            AesGcmSecretCipher.forceDirectory(keyFile.getParent());
        } catch (IOException e) {
            throw keyFileError("move the new key into " + keyFile, e);
        }
    }

    private record Sweep(int reencrypted, int accounts, int alreadyMoved) {
    }

    /**
     * Re-encrypts under {@code target} every account that is not under it yet, after checking that every
     * one of them decrypts with {@code keys}: an account that cannot move stops the run before any write.
     */
    private Sweep reencrypt(List<KeyMaterial> keys, KeyMaterial target) {
        List<Account> withSecrets = store.snapshot().accounts().stream()
                .filter(account -> !account.secrets().isEmpty()).toList();
        List<Account> todo = withSecrets.stream()
                .filter(account -> !target.id().equals(account.encryptionKeyId())).toList();
        todo.forEach(account -> decryptAll(account, keys));
        int reencrypted = 0;
        for (int from = 0; from < todo.size(); from += BATCH) {
            // Re-read right before writing, so what another process wrote meanwhile (statistics) is kept.
            Map<String, Account> fresh = store.snapshot().accounts().stream()
                    .collect(Collectors.toMap(Account::id, Function.identity()));
            List<Account> batch = new ArrayList<>();
            for (Account planned : todo.subList(from, Math.min(from + BATCH, todo.size()))) {
                Account account = fresh.get(planned.id());
                if (account == null || account.secrets().isEmpty() || target.id().equals(account.encryptionKeyId())) {
                    continue;
                }
                Map<String, String> sealed = new LinkedHashMap<>();
                decryptAll(account, keys).forEach((field, plain) ->
                        sealed.put(field, AesGcmSecretCipher.seal(target, plain, account.id())));
                batch.add(account.withSecrets(sealed, target.id()));
            }
            store.putAccounts(batch);
            reencrypted += batch.size();
        }
        return new Sweep(reencrypted, withSecrets.size(), withSecrets.size() - todo.size());
    }

    private Map<String, String> decryptAll(Account account, List<KeyMaterial> keys) {
        Map<String, String> plain = new LinkedHashMap<>();
        KeyMaterial key = account.encryptionKeyId() == null ? null : AesGcmSecretCipher.keyById(keys,
                account.encryptionKeyId());
        if (account.encryptionKeyId() != null && key == null) {
            throw new RotorException(ErrorCode.SECRET_UNREADABLE, "account " + account.id()
                    + " is encrypted under key id " + account.encryptionKeyId() + ", which is neither the old nor"
                    + " the new key (" + keys.stream().map(KeyMaterial::id).collect(Collectors.joining(", "))
                    + "); configure the key it was encrypted with, or remove the account");
        }
        account.secrets().forEach((field, ciphertext) -> {
            if (key != null) {
                try {
                    plain.put(field, AesGcmSecretCipher.openOrTampered(key, ciphertext, account.id()));
                } catch (RotorException e) {
                    throw new RotorException(e.code(), e.getMessage() + "; remove the account (rotor accounts"
                            + " remove " + account.id() + ") or add its credential again, then run keys rotate again");
                }
                return;
            }
            String opened = AesGcmSecretCipher.openWithAny(keys, ciphertext, account.id());
            if (opened == null) {
                throw new RotorException(ErrorCode.SECRET_UNREADABLE, "secret of account " + account.id()
                        + " cannot be decrypted with the configured key");
            }
            plain.put(field, opened);
        });
        return plain;
    }

    private static RotorException badRequest(String message) {
        return new RotorException(ErrorCode.INVALID_REQUEST, message);
    }

    private static RotorException keyFileError(String what, IOException e) {
        return new RotorException(ErrorCode.STORE_ERROR, "cannot " + what + ": " + e.getMessage()
                + "; run keys rotate again to finish the rotation", e);
    }
}
