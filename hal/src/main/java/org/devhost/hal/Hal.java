package org.devhost.hal;

import java.util.List;

/**
 * Opens real device nodes of the host.
 *
 * <p>Safety rules, each refusal an {@code EACCES} that says why and what to configure: the path
 * must be absolute, without {@code ..}, and match {@link #allowedPrefixes()} (folders, {@code *}
 * patterns or exact paths; the default names the nodes devhost uses and common hardware
 * interfaces, not all of {@code /dev/}), also after symbolic links are resolved. Nodes that can hurt
 * the machine ({@code /dev/mem}, {@code /dev/port}, watchdogs, disks, raw SCSI, flash, MSRs) are
 * refused by name and by device number even when allowed, unless the HAL's unsafe switch is on.
 * The node must be a character device, checked before it is opened and again on the descriptor; it
 * is opened with {@code O_NONBLOCK | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC}, so the open never waits
 * (a FIFO) nor takes a controlling terminal, and put in blocking mode afterwards unless the caller
 * asked for {@code O_NONBLOCK}. A missing path is {@code ENOENT}. Thread-safe.
 *
 * <pre>{@code
 * try (DeviceNode zero = hal.open("/dev/zero", OpenFlags.O_RDONLY)) {
 *     ByteBuffer buf = ByteBuffer.allocateDirect(65536);
 *     zero.read(buf); // 65536 zero bytes
 * }
 * }</pre>
 */
@org.osgi.annotation.versioning.ProviderType
public interface Hal {
    /** Flag for {@link #open}: do not make a terminal the controlling tty ({@code O_NOCTTY}). */
    int O_NOCTTY = 0400;

    /**
     * Opens a node.
     *
     * @param flags {@link org.devhost.kernel.OpenFlags} access mode and {@code O_NONBLOCK}, and
     *     {@link #O_NOCTTY}; {@code O_NOCTTY}, {@code O_CLOEXEC} and {@code O_NOFOLLOW} are always added
     * @throws org.devhost.kernel.KernelException EACCES for a refused path, ENOENT for a missing
     *     one, or what {@code open(2)} reports
     */
    DeviceNode open(String path, int flags);

    /**
     * Mounts a FUSE file system served by the caller: opens {@code /dev/fuse} and mounts it at
     * {@code mountPoint} as type {@code fuse.NAME}, {@code nosuid,nodev}, with {@code
     * default_permissions} (the kernel checks each file's mode and owner) and {@code allow_other}
     * only when asked. As root the HAL calls {@code mount(2)}; otherwise it runs the setuid {@code
     * fusermount3} (Debian's {@code fuse3}), which hands the descriptor back over a socket.
     * <p>The mount point is created when missing (mode 0755). It must be an empty directory, not a
     * link, so that a mount never hides files; a stale mount of the same type left by a server
     * that died ("Transport endpoint is not connected") is detached and reused; a live one is
     * {@code EBUSY}.
     * @param name the file system's name and subtype ({@code [a-z0-9_]+})
     * @param mountPoint an absolute path
     * @param allowOther let users other than the host's own reach the files ({@code allow_other};
     *     for a non-root host, {@code user_allow_other} in {@code /etc/fuse.conf} too)
     * @return the channel; the kernel's first request on it is {@code FUSE_INIT}
     * @throws org.devhost.kernel.KernelException EINVAL for a bad name or relative path, ENOTDIR,
     *     EBUSY (not empty, or live) as above, EPERM when not root and {@code fusermount3} is missing, or what
     *     {@code mount(2)} reports, each with a sentence saying what to do
     * @since 1.2
     */
    FuseChannel mountFuse(String name, String mountPoint, boolean allowOther);

    /** The allowlist: folders ending in '/', patterns with '*', or exact paths. */
    List<String> allowedPrefixes();

    /**
     * Sends one datagram to a Unix datagram socket: {@code socket(AF_UNIX, SOCK_DGRAM)} and {@code
     * sendto(2)} with {@code MSG_NOSIGNAL}, what systemd's notify socket ({@code NOTIFY_SOCKET}) and
     * its journal's native socket take and the JDK cannot reach. A path that starts with {@code @}
     * names a socket in the abstract namespace (the rest of the path, as systemd writes it). The
     * message is sent whole or not at all; nothing is kept open between calls.
     *
     * @param socketPath an absolute path of at most 107 bytes, or {@code @name}
     * @param message the bytes from its position to its limit; its position does not move
     * @throws org.devhost.kernel.KernelException EINVAL for a path that is neither, ENOENT when no
     *     socket is there, ECONNREFUSED when nobody reads it, EMSGSIZE for a datagram too large for
     *     it, EAGAIN when its queue is full, or what {@code sendto(2)} reports
     * @since 1.3
     */
    void sendDatagram(String socketPath, java.nio.ByteBuffer message);
}
