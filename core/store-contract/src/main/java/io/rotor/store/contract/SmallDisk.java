package io.rotor.store.contract;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real, small file system (a Linux tmpfs mounted on a test folder) that can be filled up or made
 * read-only, so writes really fail as on a full disk or a read-only mount. Root ignores file modes, so
 * {@code chmod} cannot stop a test running as root from writing; a mount can. Where mounting is not
 * allowed (not root, no CAP_SYS_ADMIN, not Linux), the calling test is skipped by a JUnit assumption.
 */
public final class SmallDisk implements AutoCloseable {

    private final Path path;
    private final Path filler;

    private SmallDisk(Path path) {
        this.path = path;
        this.filler = path.resolve("filler");
    }

    /** Mounts a tmpfs of {@code bytes} on {@code folder} (created if needed), or skips the test. */
    public static SmallDisk mount(Path folder, long bytes) throws IOException, InterruptedException {
        Files.createDirectories(folder);
        String failure = run("mount", "-t", "tmpfs", "-o", "size=" + bytes + ",mode=0700", "tmpfs", folder.toString());
        Assumptions.assumeTrue(failure == null, () -> "cannot mount a small tmpfs to make writes fail for real"
                + " (needs Linux and root or CAP_SYS_ADMIN): " + failure);
        return new SmallDisk(folder);
    }

    public Path path() {
        return path;
    }

    /** Fills the file system until a write fails with "No space left on device". */
    public void fill() throws IOException {
        byte[] chunk = new byte[16 * 1024];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(chunk);
            }
        } catch (IOException expected) {
            if (!String.valueOf(expected.getMessage()).contains("No space left")) {
                throw expected;
            }
        }
        // A last, smaller write could still fit in a partly used block: take that room too.
        try (OutputStream out = Files.newOutputStream(filler, java.nio.file.StandardOpenOption.APPEND)) {
            while (true) {
                out.write(0);
                out.flush();
            }
        } catch (IOException expected) {
            // full to the byte
        }
    }

    /** Gives the room taken by {@link #fill} back. */
    public void free() throws IOException {
        Files.deleteIfExists(filler);
    }

    /** Remounts read-only: every write fails with "Read-only file system"; reads go on. */
    public void readOnly() throws IOException, InterruptedException {
        remount("ro");
    }

    /**
     * Remounts read-only unless a file on it is open for writing (Linux refuses: "mount point is busy");
     * returns whether it did.
     */
    public boolean tryReadOnly() throws IOException, InterruptedException {
        return run("mount", "-o", "remount,ro", path.toString()) == null;
    }

    public void writable() throws IOException, InterruptedException {
        remount("rw");
    }

    private void remount(String mode) throws IOException, InterruptedException {
        String failure = run("mount", "-o", "remount," + mode, path.toString());
        if (failure != null) {
            throw new IOException("cannot remount " + path + " " + mode + ": " + failure);
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        if (run("umount", path.toString()) != null) {
            run("umount", "-l", path.toString()); // still in use by a file left open: detach it anyway
        }
    }

    /** Runs a command; returns null on success, else what it printed. */
    private static String run(String... command) throws IOException, InterruptedException {
        Process process;
        try {
            process = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
        } catch (IOException e) {
            return e.getMessage();
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return "timed out";
        }
        return process.exitValue() == 0 ? null : "exit " + process.exitValue() + ": " + output;
    }
}
