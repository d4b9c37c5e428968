package org.devhost.hal.common;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
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
 * with the offsets of {@link Linux}; the backend only makes the calls.
 *
 * <p>Bounded: the helper has {@link #HELPER_SECONDS} from its start to send the descriptor (the
 * socket is polled before each {@code recvmsg}, which never blocks) and to exit; past that it is
 * killed, reaped, and the mount fails with {@code ETIMEDOUT}, so a helper that never answers never
 * hangs the host's start. The received descriptor is close-on-exec from the moment it exists
 * ({@code MSG_CMSG_CLOEXEC}), so no process the host starts later inherits the FUSE connection.
 * One mount at a time per instance; not thread-safe.
 */
final class FuserMount {
    private static final String[] HELPERS = {"/usr/bin/fusermount3", "/bin/fusermount3"};
    /** How long the helper may take to mount, answer and exit. */
    static final int HELPER_SECONDS = 10;
    /** {@code recvmsg} flags: the descriptor arrives close-on-exec; the call never waits (the socket is polled first). */
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    private static final int MSG_DONTWAIT = 0x40;
    private static final int WNOHANG = 1;
    private static final short POLLIN = 0x1;

    private final FuseMounts mounts;
    private final Syscalls sys;
    private final NativeBuffers buffers;
    /** The helper to start; null: the installed {@code fusermount3} ({@link #helper()}). */
    private final String helperPath;
    private final long boundNanos;

    FuserMount(FuseMounts mounts, Syscalls sys, NativeBuffers buffers) {
        this(mounts, sys, buffers, null, TimeUnit.SECONDS.toMillis(HELPER_SECONDS));
    }

    /** With another helper and bound (tests: a helper that never answers, or never exits). */
    FuserMount(FuseMounts mounts, Syscalls sys, NativeBuffers buffers, String helperPath, long boundMillis) {
        this.mounts = mounts;
        this.sys = sys;
        this.buffers = buffers;
        this.helperPath = helperPath;
        this.boundNanos = TimeUnit.MILLISECONDS.toNanos(boundMillis);
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
        String helper = helperPath != null ? helperPath : helper();
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
            long deadline = System.nanoTime() + boundNanos;
            int pid = spawn(helper, new String[] {helper, "-o", options, "--", mountPoint}, sv[1]);
            sys.close(sv[1]);
            sv[1] = -1;
            int fd;
            try {
                fd = receiveDescriptor(sv[0], deadline);
            } catch (RuntimeException e) {
                kill(pid);
                throw e;
            }
            if (fd == NO_ANSWER) {
                kill(pid);
                throw new KernelException(Errno.ETIMEDOUT, helper + " did not answer within " + seconds() + " s while mounting "
                        + mountPoint + "; it was stopped. Check that " + mountPoint + " and /dev/fuse are usable"
                        + " (run it by hand: " + helper + " -o " + options + " -- " + mountPoint + "), or turn devfs off");
            }
            int status = reap(pid, deadline);
            if (status == NO_ANSWER) {
                kill(pid);
                if (fd < 0) {
                    throw new KernelException(Errno.ETIMEDOUT, helper + " neither mounted " + mountPoint + " nor exited within "
                            + seconds() + " s; it was stopped. Run it by hand to see why: " + helper + " -o " + options
                            + " -- " + mountPoint);
                }
                // it sent the mounted descriptor and then lingered: the mount is made and ours
            }
            if (fd < 0) {
                int exit = (status >> 8) & 0xff;
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

    /** What {@link #receiveDescriptor} and {@link #reap} return when the deadline passed first. */
    static final int NO_ANSWER = Integer.MIN_VALUE;

    private long seconds() {
        return TimeUnit.NANOSECONDS.toSeconds(boundNanos + 999_999_999L);
    }

    /**
     * Waits until {@code socket} is readable or ends, at most until {@code deadline} ({@link
     * System#nanoTime}): true when it is, false when the deadline passed.
     */
    private boolean readable(int socket, long deadline) {
        try (NativeBuffers.Lease pfd = buffers.own(Linux.POLLFD_SIZE, true)) {
            ByteBuffer b = pfd.buffer();
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                b.putInt(0, socket).putShort(4, POLLIN).putShort(6, (short) 0);
                int n = sys.poll(pfd.address(), 1, (int) Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(left))));
                if (n > 0) {
                    return true; // data, the end (POLLHUP) or an error: recvmsg says which, without waiting
                }
                if (n < 0 && !Errnos.is(n, Errno.EINTR)) {
                    throw Errnos.of(n, "poll on the socket of fusermount3");
                }
            }
        }
    }

    /**
     * Reaps the helper: its wait status, or {@link #NO_ANSWER} when it has not exited by {@code
     * deadline}. Polls with {@code WNOHANG}, so no wait here outlasts the deadline.
     */
    private int reap(int pid, long deadline) {
        try (NativeBuffers.Lease status = buffers.own(8, true)) {
            while (true) {
                int r = sys.waitpid(pid, status.address(), WNOHANG);
                if (r == pid) {
                    return status.buffer().getInt(0);
                }
                if (r < 0 && !Errnos.is(r, Errno.EINTR)) {
                    return 0; // not our child any more (ECHILD): nothing left to wait for
                }
                if (System.nanoTime() - deadline >= 0) {
                    return NO_ANSWER;
                }
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return NO_ANSWER;
                }
            }
        }
    }

    /**
     * Ends a helper that overstayed: SIGKILL (the helper runs with the host's real user id, so the
     * host may signal it though it is setuid), then reaps it, bounded; one that still has not gone
     * (stuck in the kernel) is reaped by a daemon thread whenever it ends, so no zombie is left.
     */
    private void kill(int pid) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        if (reap(pid, System.nanoTime() + TimeUnit.SECONDS.toNanos(1)) == NO_ANSWER) {
            Thread t = new Thread(() -> {
                try (NativeBuffers.Lease status = buffers.own(8, true)) {
                    while (Errnos.is(sys.waitpid(pid, status.address(), 0), Errno.EINTR)) {
                        // again
                    }
                }
            }, "devhost-fusermount3-reaper-" + pid);
            t.setDaemon(true);
            t.start();
        }
    }

    /**
     * Receives one descriptor sent as {@code SCM_RIGHTS}, close-on-exec; -1 when the helper closed
     * without one, {@link #NO_ANSWER} when nothing came by {@code deadline}.
     */
    private int receiveDescriptor(int socket, long deadline) {
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
                if (!readable(socket, deadline)) {
                    return NO_ANSWER;
                }
                long n = sys.recvmsg(socket, base, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
                if (n >= 0) {
                    if (n == 0) {
                        return -1;
                    }
                    break;
                }
                if (!Errnos.is(n, Errno.EINTR) && !Errnos.is(n, Errno.EAGAIN)) {
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
