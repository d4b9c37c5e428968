package org.devhost.hal.impl;

import com.sun.jna.LastErrorException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.devhost.hal.DeviceNode;
import org.devhost.hal.Hal;
import org.devhost.hal.NodeStat;
import org.devhost.kernel.DeviceNumber;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.OpenFlags;

/**
 * The HAL proper: checks a path against the allowlist and the denylist ({@link DeniedNodes}),
 * opens it without following links and keeps it only if it is a character device. Immutable;
 * thread-safe.
 *
 * <p>The order of {@link #open} matters: every check that needs no descriptor (names, the links'
 * target, type and number by {@code stat}) comes before {@code open(2)}, because opening some
 * nodes already acts (a watchdog arms, a FIFO waits for a writer). The node is then opened with
 * {@code O_NONBLOCK | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC}, so the open itself cannot wait or take a
 * controlling terminal, checked again with {@code fstat} on the descriptor (the path may have
 * changed in between), and only then switched to blocking mode if the caller asked for it.
 */
public final class HostHal implements Hal {
    /** The flags a caller may pass; the rest are refused with EINVAL. */
    private static final int CALLER_FLAGS = OpenFlags.O_ACCMODE | OpenFlags.O_NONBLOCK | Hal.O_NOCTTY;

    /**
     * Devices whose reads and writes never wait: {@code /dev/null} 1:3, {@code /dev/zero} 1:5,
     * {@code /dev/full} 1:7, {@code /dev/urandom} 1:9. They skip the poll that makes a blocking
     * read end on close (it would double the cost of a small read for nothing).
     */
    private static final Set<DeviceNumber> NEVER_BLOCK = Set.of(
            DeviceNumber.of(1, 3), DeviceNumber.of(1, 5), DeviceNumber.of(1, 7), DeviceNumber.of(1, 9));

    /**
     * The default allowlist: the nodes devhost's drivers and tests use, and the usual hardware
     * interfaces a driver of this host may want. Each entry is a folder ending in '/', a pattern
     * with '*', or an exact path ({@link PathPattern}).
     */
    public static final List<String> DEFAULT_ALLOWED = List.of(
            "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
            "/dev/ptmx", "/dev/pts/",
            "/dev/kvm", "/dev/loop-control", "/dev/fuse", "/dev/net/tun",
            "/dev/rtc", "/dev/rtc*", "/dev/gpiochip*", "/dev/i2c-*", "/dev/spidev*", "/dev/input/event*",
            "/dev/ttyS*", "/dev/ttyUSB*", "/dev/ttyACM*");

    private final List<String> allowed;
    private final List<PathPattern> patterns;
    private final boolean unsafe;

    /** An allowlist with the denylist in force. */
    public HostHal(List<String> allowed) {
        this(allowed, false);
    }

    /**
     * @param allowed folders ending in '/', patterns with '*', or exact paths
     * @param unsafe true to lift the denylist ({@link DeniedNodes}): only for a machine that may be lost
     */
    public HostHal(List<String> allowed, boolean unsafe) {
        this.patterns = allowed.stream().map(PathPattern::of).toList();
        this.allowed = List.copyOf(allowed);
        this.unsafe = unsafe;
    }

    @Override
    public org.devhost.hal.FuseChannel mountFuse(String name, String mountPoint, boolean allowOther) {
        return FuseMounts.mount(name, mountPoint, allowOther);
    }

    @Override
    public List<String> allowedPrefixes() {
        return allowed;
    }

    /** True when the denylist is lifted. */
    public boolean unsafe() {
        return unsafe;
    }

    @Override
    public DeviceNode open(String path, int flags) {
        if ((flags & ~CALLER_FLAGS) != 0 || (flags & OpenFlags.O_ACCMODE) == OpenFlags.O_ACCMODE) {
            throw new KernelException(Errno.EINVAL, "open " + path + ": flags 0" + Integer.toOctalString(flags)
                    + " not allowed (use O_RDONLY, O_WRONLY or O_RDWR, with O_NONBLOCK or O_NOCTTY)");
        }
        String real = checkPath(path);
        checkNode(path, stat(path, real));
        int fd;
        try {
            fd = LibC.open(real, (flags & OpenFlags.O_ACCMODE) | LibC.O_NONBLOCK | LibC.O_NOCTTY | LibC.O_NOFOLLOW
                    | LibC.O_CLOEXEC);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == Errno.ELOOP.number()) {
                throw new KernelException(Errno.EACCES, "open " + path + ": it became a symbolic link while being opened; refused");
            }
            throw Errnos.of(e, "open " + path);
        }
        int wake = -1;
        try {
            NodeStat st = HostNode.fstat(fd, real);
            checkNode(path, st);
            boolean blocking = (flags & OpenFlags.O_NONBLOCK) == 0;
            boolean mayBlock = blocking && !NEVER_BLOCK.contains(st.device());
            if (blocking && !mayBlock) {
                LibC.fcntl(fd, LibC.F_SETFL, LibC.fcntl(fd, LibC.F_GETFL, 0) & ~LibC.O_NONBLOCK);
            }
            // A node that may block keeps O_NONBLOCK: HostNode waits in poll(2) itself, where a
            // close can reach the wait, and never inside read(2) or write(2), where it cannot.
            wake = LibC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
            return new HostNode(fd, wake, real, mayBlock);
        } catch (LastErrorException e) {
            HostNode.closeQuietly(fd);
            throw Errnos.of(e, "open " + path);
        } catch (RuntimeException e) {
            HostNode.closeQuietly(fd);
            if (wake >= 0) {
                HostNode.closeQuietly(wake);
            }
            throw e;
        }
    }

    /** Returns the link-free path to open, or throws EACCES/ENOENT saying why not. */
    private String checkPath(String path) {
        if (path == null || !path.startsWith("/")) {
            throw new KernelException(Errno.EACCES, "open " + path + ": the path must be absolute");
        }
        for (String part : path.split("/")) {
            if (part.equals("..")) {
                throw new KernelException(Errno.EACCES, "open " + path + ": '..' is not allowed in a device path");
            }
        }
        if (!allowed(path)) {
            throw new KernelException(Errno.EACCES, "open " + path + ": outside the allowed prefixes " + allowed
                    + "; add it to allowed_prefixes of configuration org.devhost.hal");
        }
        denied(path, path, DeniedNodes.byName(path));
        Path real;
        try {
            real = Path.of(path).toRealPath();
        } catch (NoSuchFileException e) {
            throw new KernelException(Errno.ENOENT, "open " + path);
        } catch (IOException e) {
            throw new KernelException(Errno.EACCES, "open " + path + ": cannot resolve it (" + e.getMessage() + ")");
        }
        if (!allowed(real.toString())) {
            throw new KernelException(Errno.EACCES, "open " + path + ": it is a link to " + real
                    + ", outside the allowed prefixes " + allowed);
        }
        denied(path, real.toString(), DeniedNodes.byName(real.toString()));
        return real.toString();
    }

    /** The node's type and number by {@code lstat}, before anything opens it. */
    private static NodeStat stat(String path, String real) {
        try {
            Map<String, Object> a = Files.readAttributes(Path.of(real), "unix:mode,rdev", LinkOption.NOFOLLOW_LINKS);
            return new NodeStat((Integer) a.get("mode"), (Long) a.get("rdev"), 0);
        } catch (NoSuchFileException e) {
            throw new KernelException(Errno.ENOENT, "open " + path);
        } catch (IOException | UnsupportedOperationException e) {
            throw new KernelException(Errno.EACCES, "open " + path + ": cannot stat it (" + e.getMessage() + ")");
        }
    }

    private void checkNode(String path, NodeStat st) {
        if (!st.isCharDevice()) {
            throw new KernelException(Errno.EACCES, "open " + path + ": not a character device (it is a " + st.type()
                    + "); the HAL opens character devices only");
        }
        denied(path, path, DeniedNodes.byNumber(st.device()));
    }

    private void denied(String path, String checked, Optional<String> why) {
        if (why.isPresent() && !unsafe) {
            throw new KernelException(Errno.EACCES, "open " + path + ": refused, " + (checked.equals(path) ? "" : "it leads to "
                    + checked + " and ") + why.get() + " (set unsafe=true in configuration org.devhost.hal to lift it)");
        }
    }

    private boolean allowed(String path) {
        for (PathPattern p : patterns) {
            if (p.matches(path)) {
                return true;
            }
        }
        return false;
    }
}
