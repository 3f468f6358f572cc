package io.rotor.core.engine.internal.crypto;

import io.rotor.api.ErrorCode;
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
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
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
@Component(service = SecretCipher.class, configurationPid = "rotor",
        configurationPolicy = ConfigurationPolicy.REQUIRE)
public final class AesGcmSecretCipher implements SecretCipher {

    /** Framework property carrying {@code security.encryptionKey} ({@code ACCOUNT_ENCRYPTION_KEY}). */
    public static final String KEY_PROPERTY = "rotor.security.encryptionKey";

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
    /** The configured key, or null when the key lives in {@link #keyFile}. */
    private final KeyMaterial configuredKey;
    private volatile FileKey fileKey;

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
        KeyMaterial key = keyForEncryption();
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
        KeyMaterial key = currentKey();
        if (key == null) {
            throw new RotorException(ErrorCode.SECRET_UNREADABLE,
                    "no encryption key: set security.encryptionKey or ACCOUNT_ENCRYPTION_KEY, or restore " + keyFile);
        }
        String plaintext = open(key, ciphertext, accountId);
        if (plaintext == null && configuredKey == null && keyFileChanged()) {
            // Another process (the CLI) replaced the key file since it was read.
            fileKey = null;
            key = currentKey();
            plaintext = key == null ? null : open(key, ciphertext, accountId);
        }
        if (plaintext == null) {
            throw new RotorException(ErrorCode.SECRET_UNREADABLE,
                    "secret of account " + accountId + " cannot be decrypted with the configured key");
        }
        return plaintext;
    }

    @Override
    public String keyId() {
        KeyMaterial key = currentKey();
        return key == null ? null : key.id();
    }

    /** Returns the plaintext, or null for any failure: which one must not show in a message. */
    private static String open(KeyMaterial key, String ciphertext, String accountId) {
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

    /** Returns the key in use, reading the key file if needed, or null if there is none yet. */
    private KeyMaterial currentKey() {
        if (configuredKey != null) {
            return configuredKey;
        }
        FileKey known = fileKey;
        if (known != null) {
            return known.key();
        }
        synchronized (this) {
            if (fileKey == null) {
                fileKey = readKeyFile();
            }
            return fileKey == null ? null : fileKey.key();
        }
    }

    private synchronized KeyMaterial keyForEncryption() {
        KeyMaterial key = currentKey();
        if (key != null) {
            return key;
        }
        byte[] bytes = new byte[KEY_BYTES];
        RANDOM.nextBytes(bytes);
        boolean created = createKeyFile(HexFormat.of().formatHex(bytes));
        Arrays.fill(bytes, (byte) 0);
        // Read back even when this process wrote it: if another process won the race, its key counts.
        fileKey = readKeyFile();
        if (fileKey == null) {
            throw new RotorException(ErrorCode.SECRET_UNREADABLE, "encryption key file " + keyFile + " vanished");
        }
        if (created) {
            LOG.log(System.Logger.Level.INFO, "generated a new encryption key in {0} (key id {1}); back it up:"
                    + " the stored secrets cannot be decrypted without it", keyFile, fileKey.key().id());
        }
        return fileKey.key();
    }

    private FileKey readKeyFile() {
        try {
            FileTime modified = Files.readAttributes(keyFile, BasicFileAttributes.class).lastModifiedTime();
            String text = Files.readString(keyFile, StandardCharsets.US_ASCII);
            return new FileKey(KeyMaterial.parse(text,
                    "encryption key file " + keyFile + " must hold 64 hex characters (32 bytes)"), modified);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new RotorException(ErrorCode.SECRET_UNREADABLE,
                    "cannot read encryption key file " + keyFile + ": " + e.getClass().getSimpleName(), e);
        }
    }

    private boolean keyFileChanged() {
        FileKey known = fileKey;
        try {
            return known == null
                    || !Files.readAttributes(keyFile, BasicFileAttributes.class).lastModifiedTime().equals(known.modified());
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Creates the key file with mode 0600, durably and without ever replacing an existing one: the
     * key is written to a temp file and hard-linked into place, which fails if another process
     * (the CLI and the server may start together) created the file first.
     *
     * @return true if this call created the file
     */
    private boolean createKeyFile(String hexKey) {
        Path directory = keyFile.getParent();
        Path temp = keyFile.resolveSibling(keyFile.getFileName() + "." + Long.toHexString(RANDOM.nextLong()) + ".tmp");
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
                Files.createLink(keyFile, temp);
                created = true;
            } catch (FileAlreadyExistsException e) {
                created = false;
            } catch (UnsupportedOperationException e) {
                // No hard links on this file system: a rename is atomic too, only not exclusive.
                Files.move(temp, keyFile, StandardCopyOption.ATOMIC_MOVE);
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
                    "cannot create encryption key file " + keyFile + ": " + e.getMessage(), e);
        }
    }

    private static FileAttribute<?>[] ownerOnly(Path path) {
        if (!path.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return new FileAttribute<?>[0];
        }
        return new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))};
    }

    private static void forceDirectory(Path directory) throws IOException {
        if (System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows")) {
            return; // Windows cannot open a directory as a channel.
        }
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    /** A key with its fingerprint. */
    private record KeyMaterial(SecretKeySpec spec, String id) {

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

    /** The key read from the key file, with the modification time it had then. */
    private record FileKey(KeyMaterial key, FileTime modified) {
    }
}
