package org.devhost.hal.common;

/**
 * Linux's numbers and struct layouts that the HAL needs (x86-64, and aarch64's generic layout
 * where it differs): the same whichever backend makes the call, so they live here once.
 */
final class Linux {
    private Linux() {}

    static final boolean AARCH64 = "aarch64".equals(System.getProperty("os.arch"));

    static final int O_RDWR = 2;
    static final int O_NONBLOCK = 04000;
    static final int O_NOCTTY = 0400;
    static final int O_NOFOLLOW = 0400000;
    static final int O_DIRECTORY = 0200000;
    static final int O_PATH = 010000000;
    static final int O_CLOEXEC = 02000000;
    static final int F_GETFD = 1;
    static final int F_GETFL = 3;
    static final int F_SETFL = 4;
    static final int EFD_NONBLOCK = 04000;
    static final int EFD_CLOEXEC = 02000000;
    static final short POLLIN = 0x1;
    static final short POLLOUT = 0x4;
    static final long MS_NOSUID = 2;
    static final long MS_NODEV = 4;
    static final int MNT_DETACH = 2;
    static final int UMOUNT_NOFOLLOW = 8;

    /** {@code struct stat}: size (rounded up) and the offsets the HAL reads. */
    static final int STAT_SIZE = 256;
    /** Bytes for a {@code struct statfs} (120 on x86_64 and arm64), with room to spare. */
    static final int STATFS_SIZE = 256;
    /** errno of a call on a FUSE mount whose server is gone. */
    static final int ENOTCONN = 107;
    static final int ST_MODE = AARCH64 ? 16 : 24;
    static final int ST_RDEV = AARCH64 ? 32 : 40;
    static final int ST_SIZE = 48;

    /** {@code struct pollfd}: 8 bytes, {@code fd} at 0, {@code events} at 4, {@code revents} at 6. */
    static final int POLLFD_SIZE = 8;

    /** {@code struct msghdr} (56 bytes), {@code struct iovec} (16) and one {@code SCM_RIGHTS} descriptor's cmsg. */
    static final int MSGHDR_SIZE = 56;
    static final int MSG_IOV = 16;
    static final int MSG_IOVLEN = 24;
    static final int MSG_CONTROL = 32;
    static final int MSG_CONTROLLEN = 40;
    static final int IOVEC_SIZE = 16;
    /** {@code CMSG_SPACE(sizeof(int))}; the header is len (8), level (4), type (4), then the data. */
    static final int CMSG_SPACE_INT = 24;
    static final int CMSG_LEVEL = 8;
    static final int CMSG_TYPE = 12;
    static final int CMSG_DATA = 16;
    /** {@code posix_spawn_file_actions_t} is 80 bytes in glibc; room to spare. */
    static final int SPAWN_ACTIONS_SIZE = 256;

    static final int AF_UNIX = 1;
    static final int SOCK_STREAM = 1;
    static final int SOCK_DGRAM = 2;
    /** {@code struct sockaddr_un}: {@code sa_family_t} (2 bytes), then {@code sun_path[108]}. */
    static final int SOCKADDR_UN_SIZE = 110;
    static final int SUN_PATH_MAX = 108;
    /** {@code MSG_NOSIGNAL}: a send to a socket nobody reads gives EPIPE, never SIGPIPE. */
    static final int MSG_NOSIGNAL = 0x4000;
    static final int SOCK_CLOEXEC = 02000000;
    static final int SOL_SOCKET = 1;
    static final int SCM_RIGHTS = 1;
}
