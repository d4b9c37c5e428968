package org.devhost.hal.common;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.devhost.hal.FuseChannel;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;

/**
 * Mounting and unmounting FUSE file systems ({@link org.devhost.hal.Hal#mountFuse}).
 *
 * <p>As root the mount is {@code mount(2)} on an open {@code /dev/fuse}, with the options of
 * {@code fs/fuse/inode.c} ({@code fd}, {@code rootmode}, {@code user_id}, {@code group_id});
 * otherwise the setuid {@code fusermount3} mounts and passes the descriptor back ({@link
 * FuserMount}). Holds only its backend; thread-safe.
 */
final class FuseMounts {
    private static final Pattern NAME = Pattern.compile("[a-z0-9_]{1,32}");
    private static final Path CONNECTIONS = Path.of("/sys/fs/fuse/connections");
    /** How long a mounted server may take to answer the liveness probe. */
    private static final int PROBE_SECONDS = 5;

    private final Syscalls sys;
    private final NativeBuffers buffers;

    FuseMounts(Syscalls sys, NativeBuffers buffers) {
        this.sys = sys;
        this.buffers = buffers;
    }

    FuseChannel mount(String name, String mountPoint, boolean allowOther) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new KernelException(Errno.EINVAL, "FUSE file system name '" + name + "': use 1 to 32 of a-z, 0-9, _");
        }
        Path target = checkTarget(name, mountPoint);
        String shared = "default_permissions" + (allowOther ? ",allow_other" : "");
        if (sys.geteuid() != 0) {
            return new FuserMount(this, sys, buffers).mount(name, target.toString(), shared);
        }
        // The folder itself, held without following a link: the mount goes onto what was checked,
        // through its descriptor (/proc/self/fd/N), whatever happens to the path meanwhile.
        int dir;
        try (NativeBuffers.Lease p = buffers.cStrings(target.toString())) {
            dir = sys.open(p.at(0), Linux.O_PATH | Linux.O_NOFOLLOW | Linux.O_DIRECTORY | Linux.O_CLOEXEC);
        }
        if (dir < 0) {
            throw Errnos.of(dir, "FUSE mount point " + target + " (a link, or not a folder any more)");
        }
        int fd;
        try (NativeBuffers.Lease dev = buffers.cStrings("/dev/fuse")) {
            fd = sys.open(dev.at(0), Linux.O_RDWR | Linux.O_CLOEXEC);
        }
        if (fd < 0) {
            sys.close(dir);
            throw Errnos.of(fd, "open /dev/fuse (is the fuse module loaded? modprobe fuse)");
        }
        String options = "rootmode=40000,user_id=" + sys.geteuid() + ",group_id=" + sys.getegid() + "," + shared;
        int r;
        try (NativeBuffers.Lease a = buffers.cStrings(name, "/proc/self/fd/" + dir, "fuse." + name, "fd=" + fd + "," + options)) {
            r = sys.mount(a.at(0), a.at(1), a.at(2), Linux.MS_NOSUID | Linux.MS_NODEV, a.at(3));
        } finally {
            sys.close(dir);
        }
        if (r < 0) {
            sys.close(fd);
            throw Errnos.of(r, "mount fuse." + name + " at " + target);
        }
        return channel(fd, target.toString(), options, false);
    }

    /** The channel of a mounted descriptor, owned from here on. */
    FuseChannel channel(int fd, String mountPoint, String options, boolean viaHelper) {
        return new FuseDevice(this, sys, buffers, fd, mountPoint, options, viaHelper, connectionOf(mountPoint).orElse(-1));
    }

    /**
     * Checks the mount point and makes it ready: created when missing, a stale mount of ours
     * detached, refused when it is a link, not a folder, not empty, or a live mount of ours, or
     * when any folder on its path could be changed by another user ({@link #requireSafePath}).
     */
    private Path checkTarget(String name, String mountPoint) {
        if (mountPoint == null || !mountPoint.startsWith("/")) {
            throw new KernelException(Errno.EINVAL, "FUSE mount point '" + mountPoint + "' must be an absolute path");
        }
        Path target = Path.of(mountPoint).normalize();
        if (!target.toString().equals(mountPoint.length() > 1 && mountPoint.endsWith("/")
                ? mountPoint.substring(0, mountPoint.length() - 1) : mountPoint)) {
            throw new KernelException(Errno.EINVAL, "FUSE mount point '" + mountPoint + "' must not contain '.', '..' or '//'");
        }
        String path = target.toString();
        requireSafePath(target);
        if (mountedType(path).filter(("fuse." + name)::equals).isPresent()) {
            if (serverAnswers(path)) {
                throw new KernelException(Errno.EBUSY, "a live fuse." + name + " file system is mounted at " + path
                        + " (another host?); stop it or choose another mount point");
            }
            // its server died; detach the leftover and reuse the folder
            detach(path, sys.geteuid() != 0);
        }
        try {
            if (Files.isSymbolicLink(target)) {
                throw new KernelException(Errno.ENOTDIR, "FUSE mount point " + path + " is a symbolic link; give the real path");
            }
            if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(target, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            }
            if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                throw new KernelException(Errno.ENOTDIR, "FUSE mount point " + path + " is not a folder");
            }
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(target)) {
                if (entries.iterator().hasNext()) {
                    throw new KernelException(Errno.EBUSY, "FUSE mount point " + path
                            + " is not empty; a mount would hide its files: choose an empty folder");
                }
            }
        } catch (IOException e) {
            throw new KernelException(Errno.EACCES, "FUSE mount point " + path + ": " + e, e);
        }
        return target;
    }

    /**
     * Refuses a mount point another user could move: every folder above it, from {@code /}
     * down, must be a real folder (not a link), owned by
     * root or by the host's user, and writable by no one else, unless it is sticky (as {@code
     * /tmp}: there others cannot rename or remove what is not theirs, and the next folder is
     * checked to be ours). Otherwise a user who may write a parent could swap it for a link between
     * our checks and the mount, or before the stop's unmount, and point either at another folder.
     */
    private void requireSafePath(Path target) {
        int me = sys.geteuid();
        // The folders above the mount point; the mount point itself may be a dead mount, which
        // answers nothing, and is checked after a stale mount there is detached.
        Path at = target.getRoot();
        java.util.List<Path> walk = new java.util.ArrayList<>();
        walk.add(at);
        for (Path part : target.getParent() == null ? java.util.List.<Path>of() : target.getParent()) {
            at = at.resolve(part);
            walk.add(at);
        }
        for (Path p : walk) {
            java.util.Map<String, Object> a;
            try {
                a = Files.readAttributes(p, "unix:uid,mode", LinkOption.NOFOLLOW_LINKS);
            } catch (java.nio.file.NoSuchFileException missing) {
                return; // from here on the folders are made by the host, as its user
            } catch (IOException | UnsupportedOperationException e) {
                throw new KernelException(Errno.EACCES, "FUSE mount point " + target + ": cannot check " + p + " (" + e + ")", e);
            }
            int uid = (Integer) a.get("uid");
            int mode = (Integer) a.get("mode");
            if ((mode & 0170000) == 0120000) {
                throw new KernelException(Errno.ENOTDIR, "FUSE mount point " + target + ": " + p
                        + " is a symbolic link; give the real path");
            }
            if ((mode & 0170000) != 0040000) {
                throw new KernelException(Errno.ENOTDIR, "FUSE mount point " + target + ": " + p + " is not a folder");
            }
            if (uid != 0 && uid != me) {
                throw new KernelException(Errno.EACCES, "FUSE mount point " + target + ": " + p + " belongs to user " + uid
                        + ", who could move it; use a folder of root's or of this host's user (uid " + me + ")");
            }
            if ((mode & 022) != 0 && (mode & 01000) == 0) {
                throw new KernelException(Errno.EACCES, "FUSE mount point " + target + ": " + p
                        + " is writable by other users, who could swap it; chmod go-w " + p + " or choose another folder");
            }
        }
    }

    /**
     * Whether the server of the FUSE mount at {@code path} is alive: {@code statfs(2)} reaches the
     * server each time, where {@code access(2)} or {@code stat(2)} of the root succeed from the
     * kernel's cached attributes for a while after the server died. Only ENOTCONN means dead. A
     * server that does not answer within {@link #PROBE_SECONDS} counts as alive (refusing the
     * folder is safe, taking it over is not); the probe's daemon thread then waits on until that
     * server answers or its connection ends.
     */
    private boolean serverAnswers(String path) {
        CompletableFuture<Integer> probe = CompletableFuture.supplyAsync(() -> {
            try (NativeBuffers.Lease p = buffers.cStrings(path); NativeBuffers.Lease st = buffers.own(Linux.STATFS_SIZE, false)) {
                return sys.statfs(p.at(0), st.address());
            }
        }, task -> {
            Thread t = new Thread(task, "devhost-fuse-probe");
            t.setDaemon(true);
            t.start();
        });
        try {
            return probe.get(PROBE_SECONDS, TimeUnit.SECONDS) != -Linux.ENOTCONN;
        } catch (TimeoutException | ExecutionException e) {
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    /**
     * Whether the mount at exactly {@code mountPoint} is still ours: a FUSE mount whose
     * connection is {@code connection} (the mount's device minor). A connection's number is freed
     * when its mount goes (detached by hand, say) even while our descriptor is open, and the next
     * mount may get it: so the type is checked too, and the path's folders are ones no other user
     * can change ({@link #requireSafePath}), so no one else can mount there.
     */
    boolean isOurs(String mountPoint, int connection) {
        return connection >= 0 && mountInfo(mountPoint).filter(f -> f[2].endsWith(":" + connection)).isPresent()
                && mountedType(mountPoint).filter(t -> t.startsWith("fuse.")).isPresent();
    }

    /** Detaches the mount at {@code mountPoint} ({@code MNT_DETACH}), not following a link. */
    void detach(String mountPoint, boolean viaHelper) {
        if (viaHelper) {
            FuserMount.unmount(mountPoint);
            return;
        }
        int r;
        try (NativeBuffers.Lease p = buffers.cStrings(mountPoint)) {
            r = sys.umount2(p.at(0), Linux.MNT_DETACH | Linux.UMOUNT_NOFOLLOW);
        }
        // EINVAL: not mounted any more
        if (r < 0 && !Errnos.is(r, Errno.EINVAL) && !Errnos.is(r, Errno.ENOENT)) {
            throw Errnos.of(r, "umount2 " + mountPoint);
        }
    }

    /**
     * Ends a connection at once through {@code fusectl} ({@code /sys/fs/fuse/connections/N/abort}):
     * the server's reads fail with ENODEV and clients' calls with ENOTCONN. As root, {@code fusectl}
     * is mounted first when nothing is (systemd mounts it on most machines). Without it the kernel
     * ends the connection when the last file open on the detached mount is closed. The caller
     * still holds the connection's descriptor, so the number is still ours: a connection lives
     * while its descriptor is open, and its number is not handed to another mount before.
     */
    void abort(int connection) {
        if (connection < 0) {
            return;
        }
        try {
            Path abort = CONNECTIONS.resolve(Integer.toString(connection)).resolve("abort");
            if (!Files.exists(abort) && sys.geteuid() == 0 && mountedType(CONNECTIONS.toString()).isEmpty()) {
                try (NativeBuffers.Lease a = buffers.cStrings("fusectl", CONNECTIONS.toString())) {
                    sys.mount(a.at(0), a.at(1), a.at(0), 0, 0); // a failure leaves the best effort below
                }
            }
            if (Files.exists(abort)) {
                Files.write(abort, "1".getBytes(StandardCharsets.US_ASCII));
            }
        } catch (IOException | RuntimeException e) {
            // best effort: the connection still ends when its last open file closes
        }
    }

    /** The connection number of the FUSE mount at {@code mountPoint}: the minor of its device. */
    static Optional<Integer> connectionOf(String mountPoint) {
        return mountInfo(mountPoint).map(fields -> Integer.parseInt(fields[2].substring(fields[2].indexOf(':') + 1)));
    }

    /** The type of the file system mounted at exactly {@code path}, if any (the last mount wins). */
    static Optional<String> mountedType(String path) {
        return mountInfo(path).map(fields -> {
            for (int i = 6; i < fields.length - 1; i++) {
                if (fields[i].equals("-")) {
                    return fields[i + 1];
                }
            }
            return "";
        });
    }

    /** The fields of the last {@code /proc/self/mountinfo} line whose mount point is {@code path}. */
    private static Optional<String[]> mountInfo(String path) {
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc/self/mountinfo"));
        } catch (IOException e) {
            return Optional.empty();
        }
        String[] found = null;
        for (String line : lines) {
            String[] fields = line.split(" ");
            if (fields.length > 6 && unescape(fields[4]).equals(path)) {
                found = fields;
            }
        }
        return Optional.ofNullable(found);
    }

    /** mountinfo writes space, tab, newline and backslash as octal escapes ({@code \040}). */
    static String unescape(String field) {
        if (field.indexOf('\\') < 0) {
            return field;
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length()) {
                b.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** Waits for a helper process, bounded: a helper that hangs is killed. */
    static int waitFor(Process p, String what) {
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new KernelException(Errno.ETIMEDOUT, what + " did not finish within 10 s");
            }
            return p.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KernelException(Errno.EINTR, what + " interrupted");
        }
    }
}
