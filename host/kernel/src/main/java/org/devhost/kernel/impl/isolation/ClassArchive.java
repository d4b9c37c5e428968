package org.devhost.kernel.impl.isolation;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.stream.Stream;

/**
 * The class-data archive (AppCDS) that isolated modules' processes start from: the classes of the
 * JDK and of the framework a child loads, mapped from one file instead of parsed again by every
 * child (a child's start, {@code dev:insmod --isolated} of scull to its answer: 633 -> 519 ms
 * measured, medians of 3).
 *
 * <p>An archive belongs to one JVM build and one class path (the JVM refuses any other and says
 * so), so its name carries a digest of both, with each jar's size and time. It lives in the user's
 * cache folder ({@code $XDG_CACHE_HOME/devhost}, else {@code ~/.cache/devhost}, mode 0700 and ours:
 * a file another user could replace would be code in every child), survives the host's restarts and
 * is made once, the first time a child starts without one: a process of its own starts the
 * framework as a child does, stops it and exits, and the JVM writes what it loaded
 * ({@code -XX:ArchiveClassesAtExit}, which a child, ended by SIGKILL, never reaches). Until it is
 * there, children start without it. No cache folder, or one that is not ours: no archive.
 * Thread-safe.
 */
final class ClassArchive {
    private final Path file;
    private final AtomicBoolean making = new AtomicBoolean();
    /** The process making the archive, while it runs; ended with the host ({@link #close}). */
    private volatile Process maker;
    private volatile boolean closed;
    private final BiConsumer<String, String> log;

    private ClassArchive(Path file, BiConsumer<String, String> log) {
        this.file = file;
        this.log = log;
    }

    /**
     * The archive for children started by this JVM with {@code classPath}; none when the user has
     * no cache folder of their own. {@code log} takes a level and a line.
     */
    static ClassArchive of(List<Path> classPath, BiConsumer<String, String> log) {
        Path folder = cacheFolder();
        if (folder == null) {
            return new ClassArchive(null, log);
        }
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update((System.getProperty("java.home") + "\n" + System.getProperty("java.vm.version") + "\n")
                    .getBytes(StandardCharsets.UTF_8));
            for (Path p : classPath) {
                d.update((p.toAbsolutePath() + " " + Files.size(p) + " " + Files.getLastModifiedTime(p).toMillis() + "\n")
                        .getBytes(StandardCharsets.UTF_8));
            }
            String key = HexFormat.of().formatHex(d.digest()).substring(0, 16);
            return new ClassArchive(folder.resolve("child-classes-" + key + ".jsa"), log);
        } catch (IOException | NoSuchAlgorithmException e) {
            return new ClassArchive(null, log);
        }
    }

    /** The user's cache folder for devhost, made 0700 if absent; null when it cannot be, or is not ours alone. */
    static Path cacheFolder() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        String home = System.getProperty("user.home");
        Path base = xdg != null && xdg.startsWith("/") ? Path.of(xdg)
                : home == null || home.isEmpty() || home.equals("?") ? null : Path.of(home, ".cache");
        if (base == null) {
            return null;
        }
        Path folder = base.resolve("devhost");
        try {
            if (!Files.isDirectory(folder)) {
                Files.createDirectories(base);
                Files.createDirectory(folder, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            boolean ours = Files.getOwner(folder, java.nio.file.LinkOption.NOFOLLOW_LINKS).getName()
                    .equals(System.getProperty("user.name"));
            boolean private_ = Files.getPosixFilePermissions(folder, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                    .equals(PosixFilePermissions.fromString("rwx------"));
            return ours && private_ ? folder : null;
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    /** The archive's file, whether made yet or not; null when children go without one. */
    Path file() {
        return file;
    }

    /**
     * The JVM options that start a child from the archive, or none while it is not made; in that
     * case the first call starts making it with {@code dump} (the child's command, with
     * {@code ChildMain --archive} for its main class and arguments) and the option that writes it.
     */
    List<String> options(List<String> dump) {
        if (file == null) {
            return List.of();
        }
        if (Files.isRegularFile(file)) {
            return List.of("-XX:SharedArchiveFile=" + file);
        }
        if (making.compareAndSet(false, true)) {
            Thread t = new Thread(() -> make(dump), "devhost isolation class archive");
            t.setDaemon(true);
            t.start();
        }
        return List.of();
    }

    /** Ends the making, if it runs: nothing the host starts outlives it. */
    void close() {
        Process p;
        synchronized (this) {
            closed = true;
            p = maker;
        }
        if (p != null) {
            p.destroyForcibly();
            p.onExit().join();
        }
    }

    private void make(List<String> dump) {
        Path tmp = file.resolveSibling(file.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        Path storage = null;
        try {
            storage = Files.createTempDirectory(file.getParent(), "archive-storage-");
            List<String> cmd = new ArrayList<>(dump);
            cmd.add(1, "-XX:ArchiveClassesAtExit=" + tmp);
            int at = cmd.indexOf(ChildMain.ARCHIVE);
            cmd.add(at + 1, storage.toString());
            Process p;
            synchronized (this) {
                if (closed) {
                    return;
                }
                p = maker = new ProcessBuilder(cmd).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            }
            if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("it did not end within 60 s");
            }
            if (closed) {
                return; // ended with the host: half an archive is none
            }
            if (p.exitValue() != 0 || !Files.isRegularFile(tmp)) {
                throw new IOException("it ended with status " + p.exitValue() + (Files.isRegularFile(tmp) ? "" : ", no archive"));
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (Stream<Path> old = Files.list(file.getParent())) { // archives of other JVMs or builds
                for (Path o : old.toList()) {
                    String n = o.getFileName().toString();
                    if (n.startsWith("child-classes-") && n.endsWith(".jsa") && !o.equals(file)) {
                        Files.deleteIfExists(o);
                    }
                }
            }
            log.accept("INFO", "class archive for isolated modules' processes made: " + file);
        } catch (IOException e) {
            log.accept("WARN", "cannot make the class archive for isolated modules' processes (" + e.getMessage()
                    + "); they start without it");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                Files.deleteIfExists(tmp);
                if (storage != null) {
                    Isolation.deleteTree(storage);
                }
            } catch (IOException e) {
                // a leftover in our own cache folder; the next make replaces it
            }
        }
    }
}
