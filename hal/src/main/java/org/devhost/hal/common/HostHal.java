package org.devhost.hal.common;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
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
 *
 * <p>The same class serves every backend: the native calls go through the {@link Syscalls} it is
 * given, and nothing here knows how they are bound.
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
    private final Syscalls sys;
    private final NativeBuffers buffers;

    /** An allowlist with the denylist in force, on {@link #defaultSyscalls()} (outside OSGi: tests, benchmarks). */
    public HostHal(List<String> allowed) {
        this(allowed, false);
    }

    /** An allowlist, on {@link #defaultSyscalls()} (outside OSGi: tests, benchmarks). */
    public HostHal(List<String> allowed, boolean unsafe) {
        this(allowed, unsafe, defaultSyscalls());
    }

    /**
     * @param allowed folders ending in '/', patterns with '*', or exact paths
     * @param unsafe true to lift the denylist ({@link DeniedNodes}): only for a machine that may be lost
     * @param sys the backend's libc calls
     */
    public HostHal(List<String> allowed, boolean unsafe, Syscalls sys) {
        this(allowed, unsafe, sys, new NativeBuffers(sys));
    }

    private HostHal(List<String> allowed, boolean unsafe, Syscalls sys, NativeBuffers buffers) {
        this.patterns = allowed.stream().map(PathPattern::of).toList();
        this.allowed = List.copyOf(allowed);
        this.unsafe = unsafe;
        this.sys = sys;
        this.buffers = buffers;
    }

    /**
     * The same backend (and its per-thread buffers) with another configuration: what a
     * configuration change swaps in.
     */
    public HostHal reconfigured(List<String> allowed, boolean unsafe) {
        return new HostHal(allowed, unsafe, sys, buffers);
    }

    /**
     * The backend a caller outside OSGi gets: the one named by the system property {@code
     * devhost.hal.syscalls} (a class name; the shared tests run against each backend this way),
     * else the highest {@link Syscalls#rank()} among those {@link ServiceLoader} finds that load on
     * this JDK (the FFM backend's classes need JDK 22 and fail to load on 17; that one is skipped).
     */
    public static Syscalls defaultSyscalls() {
        String named = System.getProperty("devhost.hal.syscalls");
        if (named != null && !named.isBlank()) {
            try {
                return (Syscalls) Class.forName(named.trim()).getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError e) {
                throw new IllegalStateException("devhost.hal.syscalls=" + named + ": cannot load it: " + e, e);
            }
        }
        Syscalls best = null;
        var it = ServiceLoader.load(Syscalls.class, HostHal.class.getClassLoader()).iterator();
        while (true) {
            Syscalls s;
            try {
                if (!it.hasNext()) {
                    break;
                }
                s = it.next();
            } catch (ServiceConfigurationError | LinkageError e) {
                continue; // a backend this JDK cannot run
            }
            if (best == null || s.rank() > best.rank()) {
                best = s;
            }
        }
        if (best == null) {
            throw new IllegalStateException("no HAL backend on the class path (org.devhost.hal or org.devhost.hal.ffm)");
        }
        return best;
    }

    /** This backend's native memory (tests). */
    NativeBuffers buffers() {
        return buffers;
    }

    /** The backend's libc calls. */
    public Syscalls syscalls() {
        return sys;
    }

    @Override
    public org.devhost.hal.FuseChannel mountFuse(String name, String mountPoint, boolean allowOther) {
        return new FuseMounts(sys, buffers).mount(name, mountPoint, allowOther);
    }

    @Override
    public List<String> allowedPrefixes() {
        return allowed;
    }

    @Override
    public void sendDatagram(String socketPath, java.nio.ByteBuffer message) {
        byte[] path = socketPath == null ? new byte[0] : socketPath.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        boolean abstractName = path.length > 1 && path[0] == '@';
        if (!(abstractName || path.length > 1 && path[0] == '/') || path.length >= Linux.SUN_PATH_MAX
                || socketPath.indexOf(0) >= 0) {
            throw new KernelException(Errno.EINVAL, "send to " + socketPath + ": give an absolute socket path shorter than "
                    + Linux.SUN_PATH_MAX + " bytes, or @name for an abstract socket");
        }
        int fd = sys.socket(Linux.AF_UNIX, Linux.SOCK_DGRAM | Linux.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw Errnos.of(fd, "socket(AF_UNIX, SOCK_DGRAM) to send to " + socketPath);
        }
        int length = message.remaining();
        try (NativeBuffers.Lease addr = buffers.own(Linux.SOCKADDR_UN_SIZE, true);
                NativeBuffers.Lease data = buffers.own(Math.max(1, length), false)) {
            java.nio.ByteBuffer a = addr.buffer();
            a.putShort(0, (short) Linux.AF_UNIX);
            // sun_path: the path and its NUL; an abstract name starts with a NUL and has none after it
            a.position(2);
            a.put(abstractName ? (byte) 0 : path[0]).put(path, 1, path.length - 1);
            int addrLength = 2 + path.length + (abstractName ? 0 : 1);
            data.buffer().put(0, message, message.position(), length);
            long sent = sys.sendto(fd, data.address(), length, Linux.MSG_NOSIGNAL, addr.address(), addrLength);
            if (sent < 0) {
                throw Errnos.of(sent, "send to " + socketPath);
            }
            if (sent != length) {
                throw new KernelException(Errno.EIO, "send to " + socketPath + ": " + sent + " of " + length + " bytes went");
            }
        } finally {
            sys.close(fd);
        }
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
        try (NativeBuffers.Lease name = buffers.cStrings(real)) {
            fd = sys.open(name.at(0), (flags & OpenFlags.O_ACCMODE) | Linux.O_NONBLOCK | Linux.O_NOCTTY
                    | Linux.O_NOFOLLOW | Linux.O_CLOEXEC);
        }
        if (Errnos.is(fd, Errno.ELOOP)) {
            throw new KernelException(Errno.EACCES, "open " + path + ": it became a symbolic link while being opened; refused");
        }
        if (fd < 0) {
            throw Errnos.of(fd, "open " + path);
        }
        int wake = -1;
        try {
            NodeStat st = HostNode.fstat(sys, buffers, fd, real);
            checkNode(path, st);
            boolean blocking = (flags & OpenFlags.O_NONBLOCK) == 0;
            boolean mayBlock = blocking && !NEVER_BLOCK.contains(st.device());
            if (blocking && !mayBlock) {
                int fl = check(sys.fcntl(fd, Linux.F_GETFL, 0), path);
                check(sys.fcntl(fd, Linux.F_SETFL, fl & ~Linux.O_NONBLOCK), path);
            }
            // A node that may block keeps O_NONBLOCK: HostNode waits in poll(2) itself, where a
            // close can reach the wait, and never inside read(2) or write(2), where it cannot.
            wake = check(sys.eventfd(0, Linux.EFD_CLOEXEC | Linux.EFD_NONBLOCK), path);
            return new HostNode(sys, buffers, fd, wake, real, mayBlock);
        } catch (RuntimeException e) {
            sys.close(fd);
            if (wake >= 0) {
                sys.close(wake);
            }
            throw e;
        }
    }

    private static int check(int result, String path) {
        if (result < 0) {
            throw Errnos.of(result, "open " + path);
        }
        return result;
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
                    + "; add it to allowed.prefixes of configuration org.devhost.hal");
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
