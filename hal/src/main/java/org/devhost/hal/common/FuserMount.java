package org.devhost.hal.common;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.devhost.hal.FuseChannel;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;

/**
 * Mounting without root, through the setuid {@code fusermount3} of Debian's {@code fuse3}
 * package, as libfuse's {@code fuse_mount_fusermount} does: the helper gets one end of a UNIX
 * socket pair as descriptor 3 and {@code _FUSE_COMMFD=3} in its environment, mounts, and sends the
 * opened {@code /dev/fuse} descriptor back as {@code SCM_RIGHTS}. The JDK's process API cannot
 * pass a descriptor to a child, so the helper is started with {@code posix_spawn}. The structs
 * ({@code msghdr}, the argument vectors) are laid out here, in native memory of this mount's own,
 * with the offsets of {@link Linux}; the backend only makes the calls. One mount at a time per
 * instance; not thread-safe.
 */
final class FuserMount {
    private static final String[] HELPERS = {"/usr/bin/fusermount3", "/bin/fusermount3"};

    private final FuseMounts mounts;
    private final Syscalls sys;
    private final NativeBuffers buffers;

    FuserMount(FuseMounts mounts, Syscalls sys, NativeBuffers buffers) {
        this.mounts = mounts;
        this.sys = sys;
        this.buffers = buffers;
    }


    static String helper() {
        for (String h : HELPERS) {
            if (Files.isExecutable(Path.of(h))) {
                return h;
            }
        }
        return null;
    }

    FuseChannel mount(String name, String mountPoint, String shared) {
        String helper = helper();
        if (helper == null) {
            throw new KernelException(Errno.EPERM, "mounting " + mountPoint + " needs root or the setuid fusermount3:"
                    + " install it (apt-get install fuse3), run the host as root, or turn devfs off");
        }
        String options = shared + ",fsname=" + name + ",subtype=" + name;
        int[] sv = new int[2];
        try (NativeBuffers.Lease pair = buffers.own(8, true)) {
            int r = sys.socketpair(Linux.AF_UNIX, Linux.SOCK_STREAM | Linux.SOCK_CLOEXEC, 0, pair.address());
            if (r < 0) {
                throw Errnos.of(r, "socketpair for fusermount3");
            }
            sv[0] = pair.buffer().getInt(0);
            sv[1] = pair.buffer().getInt(4);
        }
        try {
            int pid = spawn(helper, new String[] {helper, "-o", options, "--", mountPoint}, sv[1]);
            sys.close(sv[1]);
            sv[1] = -1;
            int fd = receiveDescriptor(sv[0]);
            int exit;
            try (NativeBuffers.Lease status = buffers.own(8, true)) {
                sys.waitpid(pid, status.address(), 0);
                exit = (status.buffer().getInt(0) >> 8) & 0xff;
            }
            if (fd < 0) {
                throw new KernelException(Errno.EPERM, "fusermount3 could not mount " + mountPoint + " (exit " + exit
                        + "; its message is on the host's stderr)" + (shared.contains("allow_other")
                        ? "; allow_other needs user_allow_other in /etc/fuse.conf" : ""));
            }
            return mounts.channel(fd, mountPoint, options, true);
        } finally {
            sys.close(sv[0]);
            if (sv[1] >= 0) {
                sys.close(sv[1]);
            }
        }
    }

    private int spawn(String helper, String[] argv, int commFd) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        String[] env = {"_FUSE_COMMFD=3", "PATH=" + path};
        String[] all = new String[argv.length + env.length];
        System.arraycopy(argv, 0, all, 0, argv.length);
        System.arraycopy(env, 0, all, argv.length, env.length);
        try (NativeBuffers.Lease strings = buffers.cStrings(all);
                NativeBuffers.Lease vectors = buffers.own(8 * (argv.length + 1 + env.length + 1) + 8, true);
                NativeBuffers.Lease actions = buffers.own(Linux.SPAWN_ACTIONS_SIZE, true)) {
            // argv then envp, each a NULL-terminated array of pointers; the pid after them
            ByteBuffer v = vectors.buffer();
            for (int i = 0; i < argv.length; i++) {
                v.putLong(8 * i, strings.at(i));
            }
            int envAt = 8 * (argv.length + 1);
            for (int i = 0; i < env.length; i++) {
                v.putLong(envAt + 8 * i, strings.at(argv.length + i));
            }
            int pidAt = envAt + 8 * (env.length + 1);
            sys.posixSpawnFileActionsInit(actions.address());
            try {
                sys.posixSpawnFileActionsAdddup2(actions.address(), commFd, 3);
                int err = sys.posixSpawn(vectors.address() + pidAt, strings.at(0), actions.address(), 0,
                        vectors.address(), vectors.address() + envAt);
                if (err < 0) {
                    Errno e = Errno.orNull(-err);
                    throw new KernelException(e == null ? Errno.EIO : e, "posix_spawn " + helper);
                }
                return v.getInt(pidAt);
            } finally {
                sys.posixSpawnFileActionsDestroy(actions.address());
            }
        }
    }

    /** Receives one descriptor sent as {@code SCM_RIGHTS}; -1 when the helper closed without one. */
    private int receiveDescriptor(int socket) {
        int iovAt = Linux.MSGHDR_SIZE;
        int controlAt = iovAt + Linux.IOVEC_SIZE;
        int dataAt = controlAt + Linux.CMSG_SPACE_INT;
        try (NativeBuffers.Lease m = buffers.own(dataAt + 8, true)) {
            ByteBuffer b = m.buffer();
            long base = m.address();
            b.putLong(iovAt, base + dataAt).putLong(iovAt + 8, 1); // one byte of data
            b.putLong(Linux.MSG_IOV, base + iovAt).putLong(Linux.MSG_IOVLEN, 1);
            b.putLong(Linux.MSG_CONTROL, base + controlAt).putLong(Linux.MSG_CONTROLLEN, Linux.CMSG_SPACE_INT);
            while (true) {
                long n = sys.recvmsg(socket, base, 0);
                if (n >= 0) {
                    if (n == 0) {
                        return -1;
                    }
                    break;
                }
                if (!Errnos.is(n, Errno.EINTR)) {
                    throw Errnos.of(n, "recvmsg from fusermount3");
                }
            }
            long controlLen = b.getLong(Linux.MSG_CONTROLLEN);
            if (controlLen < 20 || b.getInt(controlAt + Linux.CMSG_LEVEL) != Linux.SOL_SOCKET
                    || b.getInt(controlAt + Linux.CMSG_TYPE) != Linux.SCM_RIGHTS) {
                return -1;
            }
            return b.getInt(controlAt + Linux.CMSG_DATA);
        }
    }

    static void unmount(String mountPoint) {
        String helper = helper();
        if (helper == null) {
            return;
        }
        try {
            Process p = new ProcessBuilder(helper, "-u", "-z", "--", mountPoint).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            FuseMounts.waitFor(p, "fusermount3 -u " + mountPoint);
        } catch (IOException e) {
            throw new KernelException(Errno.EIO, "fusermount3 -u " + mountPoint + ": " + e, e);
        }
    }
}
