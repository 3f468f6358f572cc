package io.rotor.storage.json.internal;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rotor.api.Account;
import io.rotor.api.AccountRuntime;
import io.rotor.api.AccountStore;
import io.rotor.api.ErrorCode;
import io.rotor.api.Pool;
import io.rotor.api.RotorException;
import io.rotor.api.StoreSnapshot;
import io.rotor.api.User;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.Designate;

/**
 * {@link AccountStore} on one JSON file in the seed tool's layout.
 *
 * <p>Every change is made under an exclusive lock on {@code <file>.lock}, on the file as it is on
 * disk at that moment (so a change written meanwhile by another process, such as the CLI, is
 * kept), and lands through an atomic rename. Readers need no lock: they always see a whole file.
 */
@Component(service = AccountStore.class, configurationPid = "rotor",
        configurationPolicy = ConfigurationPolicy.REQUIRE, property = AccountStore.TYPE + "=json")
@Designate(ocd = JsonStoreConfiguration.class)
public final class JsonAccountStore implements AccountStore {

    private static final System.Logger LOG = System.getLogger(JsonAccountStore.class.getName());

    /*
     * A FileLock belongs to the whole JVM, and a second channel of the same JVM asking for it gets
     * an OverlappingFileLockException, so threads and store instances on one file queue here first.
     */
    private static final ConcurrentMap<Path, ReentrantLock> PATH_LOCKS = new ConcurrentHashMap<>();

    private static final ObjectMapper MAPPER =
            new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    /** Two-space indentation and {@code "key": value}, as the seed's {@code JSON.stringify(data, null, 2)}. */
    private static final ObjectWriter WRITER = MAPPER.writer(seedPrinter());

    private final Path file;
    private final Path lockFile;
    private final ReentrantLock pathLock;
    private final AtomicLong revision = new AtomicLong();
    private volatile Loaded loaded = Loaded.NOTHING;

    @Activate
    public JsonAccountStore(JsonStoreConfiguration config) {
        this(Path.of(config.store_json_path()));
    }

    public JsonAccountStore(Path file) {
        this.file = file.toAbsolutePath().normalize();
        this.lockFile = this.file.resolveSibling(this.file.getFileName() + ".lock");
        this.pathLock = PATH_LOCKS.computeIfAbsent(this.lockFile, path -> new ReentrantLock());
    }

    /** Returns the store file. */
    public Path file() {
        return file;
    }

    @Override
    public StoreSnapshot snapshot() {
        return current().snapshot();
    }

    @Override
    public long revision() {
        return current().snapshot().revision();
    }

    @Override
    public void putAccount(Account account) {
        Objects.requireNonNull(account, "account");
        mutate(root -> {
            StoreLayout.putAccount(root, account);
            return true;
        });
    }

    @Override
    public void putAccounts(Collection<Account> accounts) {
        List<Account> copy = List.copyOf(accounts);
        if (copy.isEmpty()) {
            return;
        }
        mutate(root -> {
            StoreLayout.putAccounts(root, copy);
            return true;
        });
    }

    @Override
    public boolean removeAccount(String id) {
        return mutate(root -> StoreLayout.removeAccount(root, id));
    }

    @Override
    public void putUser(User user) {
        Objects.requireNonNull(user, "user");
        mutate(root -> {
            StoreLayout.putUser(root, user);
            return true;
        });
    }

    @Override
    public void putUsers(Collection<User> users) {
        List<User> copy = List.copyOf(users);
        if (copy.isEmpty()) {
            return;
        }
        mutate(root -> {
            StoreLayout.putUsers(root, copy);
            return true;
        });
    }

    @Override
    public boolean removeUser(String id) {
        return mutate(root -> StoreLayout.removeUser(root, id));
    }

    @Override
    public void putPool(Pool pool) {
        Objects.requireNonNull(pool, "pool");
        mutate(root -> {
            StoreLayout.putPool(root, pool);
            return true;
        });
    }

    @Override
    public void putSetting(String key, String value) {
        Objects.requireNonNull(key, "key");
        mutate(root -> {
            StoreLayout.putSetting(root, key, value);
            return true;
        });
    }

    @Override
    public void saveRuntime(Collection<AccountRuntime> runtimes) {
        if (runtimes.isEmpty()) {
            return;
        }
        List<AccountRuntime> copy = List.copyOf(runtimes);
        mutate(root -> StoreLayout.applyRuntime(root, copy));
    }

    @Override
    public void replaceAll(StoreSnapshot content) {
        Objects.requireNonNull(content, "content");
        ObjectNode root;
        try {
            root = StoreLayout.rootOf(content);
        } catch (StoreLayout.LayoutException e) {
            throw new RotorException(ErrorCode.STORE_ERROR, "cannot replace the content of " + file + ": "
                    + e.getMessage() + "; the store was left as it was");
        }
        pathLock.lock();
        try {
            Files.createDirectories(file.getParent());
            try (FileChannel channel = DurableFiles.openLockFile(lockFile); FileLock lock = channel.lock()) {
                write(root);
            }
        } catch (IOException e) {
            throw writeError(e);
        } finally {
            pathLock.unlock();
        }
    }

    /** The file as last read or written, with its snapshot. */
    private record Loaded(FileStamp stamp, byte[] content, ObjectNode root, StoreSnapshot snapshot) {

        static final Loaded NOTHING = new Loaded(null, null, StoreLayout.emptyRoot(),
                new StoreSnapshot(List.of(), List.of(), List.of(), Map.of(), 0));
    }

    /**
     * What identifies one version of the file without reading it. Every write replaces the file
     * by a rename, so the file key (inode) changes too, not only size and modification time.
     */
    private record FileStamp(Object fileKey, long size, FileTime modified) {

        static final FileStamp MISSING = new FileStamp(null, -1, null);

        static FileStamp of(Path file) throws IOException {
            try {
                BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
                return new FileStamp(attributes.fileKey(), attributes.size(), attributes.lastModifiedTime());
            } catch (NoSuchFileException e) {
                return MISSING;
            }
        }
    }

    private Loaded current() {
        Loaded known = loaded;
        try {
            if (FileStamp.of(file).equals(known.stamp())) {
                return known;
            }
        } catch (IOException e) {
            throw readError(e);
        }
        pathLock.lock();
        try {
            known = loaded;
            // Stamp before content: if the file changes in between, the next call reads it again.
            FileStamp stamp = FileStamp.of(file);
            return stamp.equals(known.stamp()) ? known : adopt(stamp, readContent());
        } catch (IOException e) {
            throw readError(e);
        } finally {
            pathLock.unlock();
        }
    }

    /**
     * Applies a change to the file as it is on disk now and writes the result, holding both the
     * in-process lock and the file lock throughout.
     *
     * @param change edits the root in place; returns false if there is nothing to write
     * @return what {@code change} returned
     */
    private boolean mutate(Predicate<ObjectNode> change) {
        pathLock.lock();
        try {
            Files.createDirectories(file.getParent());
            try (FileChannel channel = DurableFiles.openLockFile(lockFile); FileLock lock = channel.lock()) {
                // Always read under the lock: a stamp alone can miss a same-size rewrite within one clock tick.
                Loaded current = adopt(FileStamp.of(file), readContent());
                ObjectNode root = current.root().deepCopy();
                if (!change.test(root)) {
                    return false;
                }
                write(root);
                return true;
            }
        } catch (IOException e) {
            throw writeError(e);
        } finally {
            pathLock.unlock();
        }
    }

    /** Writes {@code root} as the new file; the caller holds both locks. */
    private void write(ObjectNode root) throws IOException {
        StoreLayout.touch(root, Instant.now());
        byte[] content = WRITER.writeValueAsBytes(root);
        DurableFiles.replace(file, content);
        StoreSnapshot snapshot = StoreLayout.snapshot(root, revision.incrementAndGet());
        loaded = new Loaded(FileStamp.of(file), content, root, snapshot);
    }

    private RotorException writeError(IOException e) {
        return new RotorException(ErrorCode.STORE_ERROR, "cannot write store file " + file + ": " + e.getMessage(), e);
    }

    private byte[] readContent() throws IOException {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** Makes {@code content} the current state, parsing it only if it differs from what is known. */
    private Loaded adopt(FileStamp stamp, byte[] content) {
        Loaded known = loaded;
        Loaded fresh;
        if (Arrays.equals(content, known.content())) {
            fresh = new Loaded(stamp, known.content(), known.root(), known.snapshot());
        } else {
            ObjectNode root = content == null ? StoreLayout.emptyRoot() : parse(content);
            StoreSnapshot snapshot;
            try {
                snapshot = StoreLayout.snapshot(root, revision.get() + 1);
            } catch (StoreLayout.LayoutException e) {
                throw new RotorException(ErrorCode.STORE_ERROR, "store file " + file + " is malformed: "
                        + e.getMessage() + "; it was left untouched");
            }
            revision.incrementAndGet();
            if (known.stamp() != null) {
                LOG.log(System.Logger.Level.DEBUG, "store file {0} changed on disk; reloaded", file);
            }
            fresh = new Loaded(stamp, content, root, snapshot);
        }
        loaded = fresh;
        return fresh;
    }

    private ObjectNode parse(byte[] content) {
        JsonNode root;
        try {
            root = MAPPER.readTree(content);
        } catch (JsonProcessingException e) {
            // The parser's own message may quote file content (a secret's ciphertext); give only the place.
            JsonLocation location = e.getLocation();
            String where = location == null ? ""
                    : " at line " + location.getLineNr() + ", column " + location.getColumnNr();
            throw new RotorException(ErrorCode.STORE_ERROR, "store file " + file + " is not valid JSON" + where
                    + "; it was left untouched: fix it or restore a backup");
        } catch (IOException e) {
            throw readError(e);
        }
        if (root instanceof ObjectNode object) {
            return object;
        }
        throw new RotorException(ErrorCode.STORE_ERROR, "store file " + file
                + (root == null || root.isMissingNode() ? " is empty" : " does not hold a JSON object")
                + "; it was left untouched: fix it or restore a backup");
    }

    private RotorException readError(IOException e) {
        return new RotorException(ErrorCode.STORE_ERROR, "cannot read store file " + file + ": " + e.getMessage(), e);
    }

    private static DefaultPrettyPrinter seedPrinter() {
        DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter(Separators.createDefaultInstance()
                .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                .withObjectEmptySeparator("")
                .withArrayEmptySeparator(""));
        printer.indentObjectsWith(indenter);
        printer.indentArraysWith(indenter);
        return printer;
    }
}
