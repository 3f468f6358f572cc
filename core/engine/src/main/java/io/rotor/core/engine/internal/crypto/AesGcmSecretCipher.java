package io.rotor.core.engine.internal.crypto;

import io.rotor.api.AccountStore;
import io.rotor.api.ErrorCode;
import io.rotor.api.KeyRotation;
import io.rotor.api.RotorException;
import io.rotor.api.SecretCipher;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;

/**
 * {@link SecretCipher} with AES-256-GCM, in the seed tool's {@code iv:ciphertext:tag} format.
 *
 * <p>The key is the framework property {@value #KEY_PROPERTY} when set, else the key file, which
 * is generated on the first encryption. There is deliberately no built-in default key: a key
 * shipped in the code would protect nothing.
 */
@Component(service = {SecretCipher.class, KeyRotation.class}, configurationPid = "rotor",
        configurationPolicy = ConfigurationPolicy.REQUIRE)
public final class AesGcmSecretCipher implements SecretCipher, KeyRotation {

    /** Framework property carrying {@code security.encryptionKey} ({@code ACCOUNT_ENCRYPTION_KEY}). */
    public static final String KEY_PROPERTY = "rotor.security.encryptionKey";
    /** Beside the key file while a rotation is under way: the new key, used for every encryption meanwhile. */
    static final String PENDING_SUFFIX = ".new";
    /** Beside the key file at the end of a rotation: the old key, until no secret is left under it. */
    static final String RETIRED_SUFFIX = ".old";

    private static final System.Logger LOG = System.getLogger(AesGcmSecretCipher.class.getName());
    private static final String TRANSFORMATION = "AES/GCM/NoPadding";
    private static final int KEY_BYTES = 32;
    /** Rotor's IV length, the one GCM is specified for. */
    private static final int IV_BYTES = 12;
    /** The seed tool's IV length; its ciphertexts carry no associated data. */
    private static final int SEED_IV_BYTES = 16;
    private static final int TAG_BYTES = 16;
    private static final Pattern HEX_KEY = Pattern.compile("[0-9a-fA-F]{" + (KEY_BYTES * 2) + "}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path keyFile;
    private final Path pendingFile;
    private final Path retiredFile;
    /** The configured key, or null when the key lives in {@link #keyFile}. */
    private final KeyMaterial configuredKey;
    /** The key files as last read; null until first needed. */
    private volatile KeyFiles files;

    @Activate
    public AesGcmSecretCipher(BundleContext context, CipherConfiguration config) {
        this(context.getProperty(KEY_PROPERTY), Path.of(config.security_encryptionKeyFile()));
    }

    /**
     * @param hexKeyOrNull the configured key (64 hex characters), or null or blank for the key file
     * @param keyFile where the key is read from, or generated into, when none is configured
     * @throws RotorException {@link ErrorCode#SECRET_UNREADABLE} if the configured key is not 64 hex characters
     */
    public AesGcmSecretCipher(String hexKeyOrNull, Path keyFile) {
        this.keyFile = keyFile.toAbsolutePath().normalize();
        this.pendingFile = sibling(this.keyFile, PENDING_SUFFIX);
        this.retiredFile = sibling(this.keyFile, RETIRED_SUFFIX);
        this.configuredKey = hexKeyOrNull == null || hexKeyOrNull.isBlank() ? null
                : KeyMaterial.parse(hexKeyOrNull, "security.encryptionKey must be 64 hex characters (32 bytes)");
    }

    /**
     * Returns true if {@code ciphertext} was written by the seed tool (a 16-byte IV, no associated
     * data), and so should be rewritten in Rotor's form; false for Rotor's form or anything malformed.
     */
    public static boolean isSeedFormat(String ciphertext) {
        if (ciphertext == null) {
            return false;
        }
        String[] parts = ciphertext.split(":", -1);
        try {
            return parts.length == 3 && Base64.getDecoder().decode(parts[0]).length == SEED_IV_BYTES;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Override
    public String encrypt(String plaintext, String accountId) {
        Objects.requireNonNull(plaintext, "plaintext");
        Objects.requireNonNull(accountId, "accountId");
        return seal(keyForEncryption(), plaintext, accountId);
    }

    @Override
    public Sealed seal(Map<String, String> plainSecrets, String accountId) {
        Objects.requireNonNull(accountId, "accountId");
        KeyMaterial key = keyForEncryption();
        Map<String, String> sealed = new LinkedHashMap<>();
        plainSecrets.forEach((field, plain) -> sealed.put(field, seal(key, Objects.requireNonNull(plain, field),
                accountId)));
        return new Sealed(sealed, key.id());
    }

    static String seal(KeyMaterial key, String plaintext, String accountId) {
        byte[] iv = new byte[IV_BYTES];
        RANDOM.nextBytes(iv);
        byte[] sealed;
        try {
            Cipher cipher = Cipher.getInstance(TRANSFORMATION);
            cipher.init(Cipher.ENCRYPT_MODE, key.spec(), new GCMParameterSpec(TAG_BYTES * 8, iv));
            cipher.updateAAD(accountId.getBytes(StandardCharsets.UTF_8));
            sealed = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new RotorException(ErrorCode.INTERNAL, "AES-256-GCM is not available in this Java runtime", e);
        }
        // The JCE appends the tag to the ciphertext; the seed's format keeps it apart.
        Base64.Encoder base64 = Base64.getEncoder();
        return base64.encodeToString(iv) + ":"
                + base64.encodeToString(Arrays.copyOfRange(sealed, 0, sealed.length - TAG_BYTES)) + ":"
                + base64.encodeToString(Arrays.copyOfRange(sealed, sealed.length - TAG_BYTES, sealed.length));
    }

    @Override
    public String decrypt(String ciphertext, String accountId) {
        String plaintext = openWithAny(knownKeys(), ciphertext, accountId);
        if (plaintext == null && configuredKey == null && refreshKeyFiles()) {
            // Another process (the CLI) wrote a key file since it was read.
            plaintext = openWithAny(knownKeys(), ciphertext, accountId);
        }
        if (plaintext == null && knownKeys().isEmpty()) {
            throw new RotorException(ErrorCode.SECRET_UNREADABLE,
                    "no encryption key: set security.encryptionKey or ACCOUNT_ENCRYPTION_KEY, or restore " + keyFile);
        }
        if (plaintext == null) {
            throw new RotorException(ErrorCode.SECRET_UNREADABLE,
                    "secret of account " + accountId + " cannot be decrypted with the configured key");
        }
        return plaintext;
    }

    @Override
    public String decrypt(String ciphertext, String accountId, String keyId) {
        if (keyId == null) {
            return decrypt(ciphertext, accountId);
        }
        KeyMaterial key = keyById(knownKeys(), keyId);
        if (key == null && configuredKey == null && refreshKeyFiles()) {
            key = keyById(knownKeys(), keyId);
        }
        if (key == null) {
            throw unknownKey(accountId, keyId);
        }
        return openOrTampered(key, ciphertext, accountId);
    }

    /** Opens a ciphertext under the key its account records; failure with the right key means tampering. */
    static String openOrTampered(KeyMaterial key, String ciphertext, String accountId) {
        String plaintext = open(key, ciphertext, accountId);
        if (plaintext == null) {
            throw new RotorException(ErrorCode.SECRET_TAMPERED, "secret of account " + accountId
                    + " fails authentication under its key (id " + key.id()
                    + "): it was altered, or copied from another account");
        }
        return plaintext;
    }

    RotorException unknownKey(String accountId, String keyId) {
        List<String> known = knownKeys().stream().map(KeyMaterial::id).toList();
        return new RotorException(ErrorCode.SECRET_UNREADABLE, "secret of account " + accountId
                + " is encrypted under key id " + keyId + ", which is not " + (configuredKey != null
                ? "the configured key (id " + configuredKey.id() + ")"
                : known.isEmpty() ? "available (no key file at " + keyFile + ")"
                : "in the key file " + keyFile + " (id " + String.join(", ", known) + ")")
                + ": configure the key it was encrypted with");
    }

    @Override
    public String keyId() {
        KeyMaterial key = configuredKey != null ? configuredKey : fileKeyForEncryption(false);
        return key == null ? null : key.id();
    }

    @Override
    public Result rotate(AccountStore store, String newHexKey) {
        return new KeyRotator(this, store).rotate(newHexKey);
    }

    /** Returns the plaintext, or null for any failure: which one must not show in a message. */
    static String open(KeyMaterial key, String ciphertext, String accountId) {
        if (ciphertext == null || accountId == null) {
            return null;
        }
        String[] parts = ciphertext.split(":", -1);
        if (parts.length != 3) {
            return null;
        }
        try {
            Base64.Decoder base64 = Base64.getDecoder();
            byte[] iv = base64.decode(parts[0]);
            byte[] body = base64.decode(parts[1]);
            byte[] tag = base64.decode(parts[2]);
            if (tag.length != TAG_BYTES || (iv.length != IV_BYTES && iv.length != SEED_IV_BYTES)) {
                return null;
            }
            Cipher cipher = Cipher.getInstance(TRANSFORMATION);
            cipher.init(Cipher.DECRYPT_MODE, key.spec(), new GCMParameterSpec(TAG_BYTES * 8, iv));
            if (iv.length == IV_BYTES) {
                cipher.updateAAD(accountId.getBytes(StandardCharsets.UTF_8));
            }
            byte[] sealed = Arrays.copyOf(body, body.length + TAG_BYTES);
            System.arraycopy(tag, 0, sealed, body.length, TAG_BYTES);
            return new String(cipher.doFinal(sealed), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return null;
        }
    }

    static String openWithAny(List<KeyMaterial> keys, String ciphertext, String accountId) {
        for (KeyMaterial key : keys) {
            String plaintext = open(key, ciphertext, accountId);
            if (plaintext != null) {
                return plaintext;
            }
        }
        return null;
    }

    static KeyMaterial keyById(List<KeyMaterial> keys, String id) {
        return keys.stream().filter(key -> key.id().equals(id)).findFirst().orElse(null);
    }

    /** The configured key, or the keys of the key files (current first, then a rotation's new and old key). */
    List<KeyMaterial> knownKeys() {
        if (configuredKey != null) {
            return List.of(configuredKey);
        }
        return keyFiles().keys();
    }

    KeyMaterial configuredKey() {
        return configuredKey;
    }

    Path keyFile() {
        return keyFile;
    }

    Path pendingFile() {
        return pendingFile;
    }

    Path retiredFile() {
        return retiredFile;
    }

    KeyFiles keyFiles() {
        KeyFiles known = files;
        if (known == null) {
            refreshKeyFiles();
            known = files;
        }
        return known;
    }

    /** Reads the key files again where they changed; returns true if any did. */
    synchronized boolean refreshKeyFiles() {
        KeyFiles before = files;
        KeyFiles after = new KeyFiles(readKeyFile(keyFile, before == null ? null : before.current()),
                readKeyFile(pendingFile, before == null ? null : before.pending()),
                readKeyFile(retiredFile, before == null ? null : before.retired()));
        files = after;
        return !after.equals(before);
    }

    private KeyMaterial keyForEncryption() {
        if (configuredKey != null) {
            return configuredKey;
        }
        return fileKeyForEncryption(true);
    }

    /**
     * The new key of a rotation under way (so nothing is written under a key about to be retired), else
     * the key file's key, generated first if {@code create} and there is none.
     */
    private synchronized KeyMaterial fileKeyForEncryption(boolean create) {
        // A rotation in another process may have begun or ended: cheap to check, encryptions are rare.
        refreshKeyFiles();
        KeyFiles known = files;
        if (known.pending() != null) {
            return known.pending().key();
        }
        if (known.current() != null || !create) {
            return known.current() == null ? null : known.current().key();
        }
        boolean created = createKeyFile(keyFile, generateHexKey());
        // Read back even when this process wrote it: if another process won the race, its key counts.
        refreshKeyFiles();
        if (files.current() == null) {
            throw new RotorException(ErrorCode.SECRET_UNREADABLE, "encryption key file " + keyFile + " vanished");
        }
        if (created) {
            LOG.log(System.Logger.Level.INFO, "generated a new encryption key in {0} (key id {1}); back it up:"
                    + " the stored secrets cannot be decrypted without it", keyFile, files.current().key().id());
        }
        return files.current().key();
    }

    static String generateHexKey() {
        byte[] bytes = new byte[KEY_BYTES];
        RANDOM.nextBytes(bytes);
        try {
            return HexFormat.of().formatHex(bytes);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    /** Reads a key file unless it is unchanged since {@code known} was read; null if it does not exist. */
    private static FileKey readKeyFile(Path file, FileKey known) {
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            List<Object> stamp = Arrays.asList(attributes.fileKey(), attributes.lastModifiedTime(), attributes.size());
            if (known != null && known.stamp().equals(stamp)) {
                return known;
            }
            String text = Files.readString(file, StandardCharsets.US_ASCII);
            return new FileKey(KeyMaterial.parse(text,
                    "encryption key file " + file + " must hold 64 hex characters (32 bytes)"), stamp);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new RotorException(ErrorCode.SECRET_UNREADABLE,
                    "cannot read encryption key file " + file + ": " + e.getClass().getSimpleName(), e);
        }
    }

    /**
     * Creates a key file with mode 0600, durably and without ever replacing an existing one: the
     * key is written to a temp file and hard-linked into place, which fails if another process
     * (the CLI and the server may start together) created the file first.
     *
     * @return true if this call created the file
     */
    static boolean createKeyFile(Path target, String hexKey) {
        Path directory = target.getParent();
        Path temp = sibling(target, "." + Long.toHexString(RANDOM.nextLong()) + ".tmp");
        try {
            Files.createDirectories(directory);
            try (FileChannel channel = FileChannel.open(temp,
                    Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), ownerOnly(temp))) {
                ByteBuffer buffer = ByteBuffer.wrap(hexKey.getBytes(StandardCharsets.US_ASCII));
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            boolean created;
            try {
                Files.createLink(target, temp);
                created = true;
            } catch (FileAlreadyExistsException e) {
                created = false;
            } catch (UnsupportedOperationException e) {
                // No hard links on this file system: a rename is atomic too, only not exclusive.
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
                created = true;
            }
            Files.deleteIfExists(temp);
            forceDirectory(directory);
            return created;
        } catch (IOException e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // The failure below is what matters.
            }
            throw new RotorException(ErrorCode.SECRET_UNREADABLE,
                    "cannot create encryption key file " + target + ": " + e.getMessage(), e);
        }
    }

    static Path sibling(Path file, String suffix) {
        return file.resolveSibling(file.getFileName() + suffix);
    }

    static FileAttribute<?>[] ownerOnly(Path path) {
        if (!path.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return new FileAttribute<?>[0];
        }
        return new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))};
    }

    static void forceDirectory(Path directory) throws IOException {
        if (System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows")) {
            return; // Windows cannot open a directory as a channel.
        }
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    /** A key with its fingerprint. */
    record KeyMaterial(SecretKeySpec spec, String id) {

        static KeyMaterial parse(String hex, String errorMessage) {
            String trimmed = hex.strip();
            if (!HEX_KEY.matcher(trimmed).matches()) {
                throw new RotorException(ErrorCode.SECRET_UNREADABLE, errorMessage);
            }
            byte[] bytes = HexFormat.of().parseHex(trimmed);
            try {
                byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
                return new KeyMaterial(new SecretKeySpec(bytes, "AES"),
                        HexFormat.of().formatHex(digest).substring(0, 16));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("SHA-256 is required by every Java platform", e);
            } finally {
                Arrays.fill(bytes, (byte) 0);
            }
        }

        @Override
        public String toString() {
            return "KeyMaterial[id=" + id + "]";
        }
    }

    /** A key read from a key file, with what identified the file's version then. */
    record FileKey(KeyMaterial key, List<Object> stamp) {
    }

    /** The key file, and a rotation's new and old key files; each null when absent. */
    record KeyFiles(FileKey current, FileKey pending, FileKey retired) {

        List<KeyMaterial> keys() {
            List<KeyMaterial> keys = new ArrayList<>(3);
            for (FileKey file : new FileKey[] {current, pending, retired}) {
                if (file != null) {
                    keys.add(file.key());
                }
            }
            return keys;
        }
    }
}
