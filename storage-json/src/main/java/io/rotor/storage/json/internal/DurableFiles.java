package io.rotor.storage.json.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.Set;

/** File writes that survive a crash at any point: the old content or the new, never a mix. */
final class DurableFiles {

    private static final boolean WINDOWS =
            System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");

    private DurableFiles() {
    }

    /**
     * Replaces {@code target} with {@code content}: a temp file beside it is written and forced to
     * disk, renamed over the target, and the directory is forced so the rename itself is durable.
     * The caller must hold the store's lock, which is what makes the fixed temp name safe.
     */
    static void replace(Path target, byte[] content) throws IOException {
        Path temp = target.resolveSibling(target.getFileName() + ".tmp");
        // Only a crash mid-write leaves this behind; no other writer can be using it under the lock.
        Files.deleteIfExists(temp);
        try {
            try (FileChannel channel = FileChannel.open(temp,
                    Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), ownerOnly(temp))) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        forceDirectory(target.toAbsolutePath().getParent());
    }

    /** Opens (creating it with mode 0600 if needed) a file used only to hold an exclusive lock. */
    static FileChannel openLockFile(Path lockFile) throws IOException {
        return FileChannel.open(lockFile, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                ownerOnly(lockFile));
    }

    /** Returns the attribute "readable and writable by the owner only" where the file system has modes. */
    static FileAttribute<?>[] ownerOnly(Path path) {
        if (!path.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return new FileAttribute<?>[0];
        }
        return new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))};
    }

    private static void forceDirectory(Path directory) throws IOException {
        if (WINDOWS) {
            // Windows cannot open a directory as a channel; NTFS journals the rename itself.
            return;
        }
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
