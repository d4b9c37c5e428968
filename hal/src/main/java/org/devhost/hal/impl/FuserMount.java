package org.devhost.hal.impl;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.StringArray;
import java.io.IOException;
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
 * pass a descriptor to a child, so the helper is started with {@code posix_spawn}.
 */
final class FuserMount {
    private static final String[] HELPERS = {"/usr/bin/fusermount3", "/bin/fusermount3"};
    private static final int AF_UNIX = 1;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_CLOEXEC = 02000000;
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;

    /** The few libc calls of a mount that runs once per host start: plain interface mapping. */
    private interface Spawn extends Library {
        Spawn C = Native.load("c", Spawn.class);

        int socketpair(int domain, int type, int protocol, int[] sv) throws LastErrorException;

        int posix_spawn_file_actions_init(Pointer actions);

        int posix_spawn_file_actions_adddup2(Pointer actions, int fd, int newfd);

        int posix_spawn_file_actions_destroy(Pointer actions);

        int posix_spawn(int[] pid, String path, Pointer actions, Pointer attr, Pointer argv, Pointer envp);

        long recvmsg(int fd, Pointer msg, int flags) throws LastErrorException;

        int waitpid(int pid, int[] status, int options) throws LastErrorException;

        int close(int fd) throws LastErrorException;
    }

    private FuserMount() {}

    static String helper() {
        for (String h : HELPERS) {
            if (Files.isExecutable(Path.of(h))) {
                return h;
            }
        }
        return null;
    }

    static FuseChannel mount(String name, String mountPoint, String shared) {
        String helper = helper();
        if (helper == null) {
            throw new KernelException(Errno.EPERM, "mounting " + mountPoint + " needs root or the setuid fusermount3:"
                    + " install it (apt-get install fuse3), run the host as root, or turn devfs off");
        }
        String options = shared + ",fsname=" + name + ",subtype=" + name;
        int[] sv = new int[2];
        try {
            Spawn.C.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
        } catch (LastErrorException e) {
            throw Errnos.of(e, "socketpair for fusermount3");
        }
        try {
            int pid = spawn(helper, new String[] {helper, "-o", options, "--", mountPoint}, sv[1]);
            Spawn.C.close(sv[1]);
            sv[1] = -1;
            int fd = receiveDescriptor(sv[0]);
            int[] status = new int[1];
            Spawn.C.waitpid(pid, status, 0);
            if (fd < 0) {
                int exit = (status[0] >> 8) & 0xff;
                throw new KernelException(Errno.EPERM, "fusermount3 could not mount " + mountPoint + " (exit " + exit
                        + "; its message is on the host's stderr)" + (shared.contains("allow_other")
                        ? "; allow_other needs user_allow_other in /etc/fuse.conf" : ""));
            }
            return new FuseDevice(fd, mountPoint, options, true, FuseMounts.connectionOf(mountPoint).orElse(-1));
        } finally {
            FuseMounts.close(sv[0]);
            if (sv[1] >= 0) {
                FuseMounts.close(sv[1]);
            }
        }
    }

    private static int spawn(String helper, String[] argv, int commFd) {
        Memory actions = new Memory(256);
        Spawn.C.posix_spawn_file_actions_init(actions);
        try {
            Spawn.C.posix_spawn_file_actions_adddup2(actions, commFd, 3);
            String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
            int[] pid = new int[1];
            int err = Spawn.C.posix_spawn(pid, helper, actions, null, new StringArray(argv),
                    new StringArray(new String[] {"_FUSE_COMMFD=3", "PATH=" + path}));
            if (err != 0) {
                throw new KernelException(Errno.orNull(err) == null ? Errno.EIO : Errno.orNull(err), "posix_spawn " + helper);
            }
            return pid[0];
        } finally {
            Spawn.C.posix_spawn_file_actions_destroy(actions);
        }
    }

    /** Receives one descriptor sent as {@code SCM_RIGHTS}; -1 when the helper closed without one. */
    private static int receiveDescriptor(int socket) {
        Memory data = new Memory(8);
        Memory iov = new Memory(16);
        iov.setPointer(0, data);
        iov.setLong(8, 1);
        Memory control = new Memory(24); // CMSG_SPACE(sizeof(int)) on 64-bit Linux
        control.clear();
        Memory msg = new Memory(56); // struct msghdr on 64-bit Linux
        msg.clear();
        msg.setPointer(16, iov);
        msg.setLong(24, 1);
        msg.setPointer(32, control);
        msg.setLong(40, 24);
        while (true) {
            try {
                long n = Spawn.C.recvmsg(socket, msg, 0);
                if (n <= 0) {
                    return -1;
                }
                break;
            } catch (LastErrorException e) {
                if (e.getErrorCode() != Errno.EINTR.number()) {
                    throw Errnos.of(e, "recvmsg from fusermount3");
                }
            }
        }
        long controlLen = msg.getLong(40);
        if (controlLen < 20 || control.getInt(8) != SOL_SOCKET || control.getInt(12) != SCM_RIGHTS) {
            return -1;
        }
        return control.getInt(16);
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
