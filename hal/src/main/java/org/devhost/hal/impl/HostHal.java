package org.devhost.hal.impl;

import com.sun.jna.LastErrorException;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.devhost.hal.DeviceNode;
import org.devhost.hal.Hal;
import org.devhost.hal.NodeStat;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.OpenFlags;

/**
 * The HAL proper: checks a path against the allowlist, opens it without following links and keeps
 * it only if it is a character device. Immutable; thread-safe.
 */
public final class HostHal implements Hal {
    /** The flags a caller may pass; the rest are refused with EINVAL. */
    private static final int CALLER_FLAGS = OpenFlags.O_ACCMODE | OpenFlags.O_NONBLOCK | Hal.O_NOCTTY;

    private final List<String> prefixes;

    /** @param prefixes absolute directory prefixes ending in '/', e.g. {@code /dev/} */
    public HostHal(List<String> prefixes) {
        for (String p : prefixes) {
            if (!p.startsWith("/") || !p.endsWith("/")) {
                throw new KernelException(Errno.EINVAL, "HAL prefix '" + p + "': must be an absolute folder ending in '/'");
            }
        }
        this.prefixes = List.copyOf(prefixes);
    }

    @Override
    public List<String> allowedPrefixes() {
        return prefixes;
    }

    @Override
    public DeviceNode open(String path, int flags) {
        if ((flags & ~CALLER_FLAGS) != 0 || (flags & OpenFlags.O_ACCMODE) == OpenFlags.O_ACCMODE) {
            throw new KernelException(Errno.EINVAL, "open " + path + ": flags 0" + Integer.toOctalString(flags)
                    + " not allowed (use O_RDONLY, O_WRONLY or O_RDWR, with O_NONBLOCK or O_NOCTTY)");
        }
        String real = checkPath(path);
        int fd;
        try {
            fd = LibC.open(real, flags | LibC.O_NOFOLLOW | LibC.O_CLOEXEC);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == Errno.ELOOP.number()) {
                throw new KernelException(Errno.EACCES, "open " + path + ": it became a symbolic link while being opened; refused");
            }
            throw Errnos.of(e, "open " + path);
        }
        NodeStat st;
        try {
            st = HostNode.fstat(fd, real);
        } catch (KernelException e) {
            closeQuietly(fd);
            throw e;
        }
        if (!st.isCharDevice()) {
            closeQuietly(fd);
            throw new KernelException(Errno.EACCES, "open " + path + ": not a character device (it is a " + st.type()
                    + "); the HAL opens character devices only");
        }
        return new HostNode(fd, real);
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
            throw new KernelException(Errno.EACCES, "open " + path + ": outside the allowed prefixes " + prefixes);
        }
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
                    + ", outside the allowed prefixes " + prefixes);
        }
        return real.toString();
    }

    private boolean allowed(String path) {
        for (String p : prefixes) {
            if (path.startsWith(p)) {
                return true;
            }
        }
        return false;
    }

    private static void closeQuietly(int fd) {
        try {
            LibC.close(fd);
        } catch (LastErrorException ignored) {
            // nothing more to do for a descriptor we are abandoning
        }
    }
}
