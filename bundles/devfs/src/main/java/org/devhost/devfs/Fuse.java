package org.devhost.devfs;

/**
 * The parts of the FUSE kernel protocol devfs speaks: opcodes, flags and the byte layout of the
 * structures it reads and writes, from Linux's {@code include/uapi/linux/fuse.h} (protocol 7.31).
 * Every structure is little-endian on the machines devhost runs on (the kernel writes native
 * order), 8-byte aligned, and read at the offsets below from the start of its body (after the
 * 40-byte request header or the 16-byte reply header).
 */
final class Fuse {
    private Fuse() {}

    /** The protocol version devfs answers with; the kernel's own minor may be higher. */
    static final int MAJOR = 7;
    static final int MINOR = 31;

    // ---- opcodes (enum fuse_opcode) ----
    static final int LOOKUP = 1;
    static final int FORGET = 2;
    static final int GETATTR = 3;
    static final int SETATTR = 4;
    static final int READLINK = 5;
    static final int SYMLINK = 6;
    static final int MKNOD = 8;
    static final int MKDIR = 9;
    static final int UNLINK = 10;
    static final int RMDIR = 11;
    static final int RENAME = 12;
    static final int LINK = 13;
    static final int OPEN = 14;
    static final int READ = 15;
    static final int WRITE = 16;
    static final int STATFS = 17;
    static final int RELEASE = 18;
    static final int FSYNC = 20;
    static final int SETXATTR = 21;
    static final int GETXATTR = 22;
    static final int LISTXATTR = 23;
    static final int REMOVEXATTR = 24;
    static final int FLUSH = 25;
    static final int INIT = 26;
    static final int OPENDIR = 27;
    static final int READDIR = 28;
    static final int RELEASEDIR = 29;
    static final int FSYNCDIR = 30;
    static final int ACCESS = 34;
    static final int CREATE = 35;
    static final int INTERRUPT = 36;
    static final int DESTROY = 38;
    static final int IOCTL = 39;
    static final int POLL = 40;
    static final int BATCH_FORGET = 42;
    static final int RENAME2 = 45;
    static final int TMPFILE = 51;
    /** One past the highest opcode counted by name in {@link #opcodeName}. */
    static final int OPCODES = 53;

    /** Names for the counters {@code dev:mounts} shows. */
    static String opcodeName(int opcode) {
        switch (opcode) {
            case LOOKUP: return "LOOKUP";
            case FORGET: return "FORGET";
            case GETATTR: return "GETATTR";
            case SETATTR: return "SETATTR";
            case READLINK: return "READLINK";
            case OPEN: return "OPEN";
            case READ: return "READ";
            case WRITE: return "WRITE";
            case STATFS: return "STATFS";
            case RELEASE: return "RELEASE";
            case FSYNC: return "FSYNC";
            case GETXATTR: return "GETXATTR";
            case LISTXATTR: return "LISTXATTR";
            case FLUSH: return "FLUSH";
            case INIT: return "INIT";
            case OPENDIR: return "OPENDIR";
            case READDIR: return "READDIR";
            case RELEASEDIR: return "RELEASEDIR";
            case INTERRUPT: return "INTERRUPT";
            case DESTROY: return "DESTROY";
            case IOCTL: return "IOCTL";
            case POLL: return "POLL";
            case BATCH_FORGET: return "BATCH_FORGET";
            default: return "op" + opcode;
        }
    }

    // ---- headers ----
    /** struct fuse_in_header: len u32, opcode u32, unique u64, nodeid u64, uid, gid, pid u32, ... */
    static final int IN_HEADER = 40;
    static final int IN_LEN = 0;
    static final int IN_OPCODE = 4;
    static final int IN_UNIQUE = 8;
    static final int IN_NODEID = 16;
    static final int IN_UID = 24;
    /** struct fuse_out_header: len u32, error s32 (a negative errno), unique u64. */
    static final int OUT_HEADER = 16;

    // ---- FUSE_INIT ----
    /** fuse_init_in: major, minor, max_readahead, flags (u32 each). */
    static final int INIT_IN_MAJOR = 0;
    static final int INIT_IN_MINOR = 4;
    static final int INIT_IN_MAX_READAHEAD = 8;
    static final int INIT_IN_FLAGS = 12;
    /** fuse_init_out, 64 bytes: major, minor, max_readahead, flags, max_background u16,
     * congestion_threshold u16, max_write, time_gran, max_pages u16, map_alignment u16, flags2, ... */
    static final int INIT_OUT_SIZE = 64;
    static final int ASYNC_READ = 1;
    static final int ATOMIC_O_TRUNC = 1 << 3;
    static final int BIG_WRITES = 1 << 5;
    static final int MAX_PAGES = 1 << 22;
    /** flags2 follows in fuse_init_in (at {@link #INIT_IN_FLAGS2}) and fuse_init_out (at {@link #INIT_OUT_FLAGS2}). */
    static final int INIT_EXT = 1 << 30;
    static final int INIT_IN_FLAGS2 = 16;
    static final int INIT_OUT_FLAGS2 = 32;
    /** FUSE_OVER_IO_URING (1 << 41): bit 9 of flags2 (protocol 7.42). */
    static final int OVER_IO_URING = 1 << 9;

    // ---- attributes ----
    /** struct fuse_attr: 88 bytes. */
    static final int ATTR_SIZE = 88;
    /** struct fuse_entry_out: nodeid, generation, entry_valid, attr_valid (u64), two u32 nsec, attr. */
    static final int ENTRY_OUT_SIZE = 40 + ATTR_SIZE;
    /** struct fuse_attr_out: attr_valid u64, attr_valid_nsec u32, dummy u32, attr. */
    static final int ATTR_OUT_SIZE = 16 + ATTR_SIZE;
    /** struct fuse_setattr_in: valid u32, padding, fh, size, lock_owner, atime, mtime, ctime (u64),
     * atimensec, mtimensec, ctimensec, mode, unused4, uid, gid, unused5 (u32). */
    static final int SETATTR_VALID = 0;
    static final int SETATTR_ATIME = 32;
    static final int SETATTR_MTIME = 40;
    static final int SETATTR_MODE = 68;
    static final int SETATTR_UID = 76;
    static final int SETATTR_GID = 80;
    static final int FATTR_MODE = 1;
    static final int FATTR_UID = 1 << 1;
    static final int FATTR_GID = 1 << 2;
    static final int FATTR_SIZE = 1 << 3;
    static final int FATTR_ATIME = 1 << 4;
    static final int FATTR_MTIME = 1 << 5;
    static final int FATTR_ATIME_NOW = 1 << 7;
    static final int FATTR_MTIME_NOW = 1 << 8;

    // ---- open files ----
    /** fuse_open_in: flags u32, open_flags u32. fuse_open_out: fh u64, open_flags u32, padding. */
    static final int OPEN_OUT_SIZE = 16;
    static final int FOPEN_DIRECT_IO = 1;
    static final int FOPEN_NONSEEKABLE = 1 << 2;
    static final int FOPEN_STREAM = 1 << 4;
    /** fuse_read_in / fuse_write_in: fh u64, offset u64, size u32, read/write_flags u32,
     * lock_owner u64, flags u32 (the file's f_flags), padding; a write's data follows (40 bytes). */
    static final int RW_FH = 0;
    static final int RW_OFFSET = 8;
    static final int RW_SIZE = 16;
    static final int RW_FLAGS = 32;
    static final int WRITE_IN_SIZE = 40;
    /** fuse_release_in / fuse_flush_in / fuse_fsync_in / fuse_poll_in / fuse_ioctl_in start with fh. */
    static final int FH = 0;
    /** fuse_ioctl_in: fh u64, flags u32, cmd u32, arg u64, in_size u32, out_size u32; input follows. */
    static final int IOCTL_FLAGS = 8;
    static final int IOCTL_CMD = 12;
    static final int IOCTL_ARG = 16;
    static final int IOCTL_IN_SIZE = 24;
    static final int IOCTL_OUT_SIZE = 28;
    static final int IOCTL_IN_HEADER = 32;
    static final int IOCTL_UNRESTRICTED = 1 << 1;
    /** fuse_ioctl_out: result s32, flags, in_iovs, out_iovs (u32); output follows. */
    static final int IOCTL_OUT_HEADER = 16;
    /** fuse_poll_in: fh u64, kh u64, flags u32, events u32. fuse_poll_out: revents u32, padding. */
    static final int POLL_KH = 8;
    static final int POLL_FLAGS = 16;
    static final int POLL_EVENTS = 20;
    static final int POLL_SCHEDULE_NOTIFY = 1;
    /** Unsolicited message code for a poll wake-up (fuse_notify_code FUSE_NOTIFY_POLL), body: kh u64. */
    static final int NOTIFY_POLL = 1;
    /** fuse_interrupt_in: the unique of the request to interrupt. */
    static final int INTERRUPT_UNIQUE = 0;

    // ---- names and folders ----
    /** fuse_getxattr_in: size u32, padding; the name follows. fuse_getxattr_out: size u32, padding. */
    static final int GETXATTR_IN_SIZE = 8;
    /** struct fuse_dirent: ino u64, off u64, namelen u32, type u32, name padded to 8 bytes. */
    static final int DIRENT_HEADER = 24;
    /** struct fuse_kstatfs: 80 bytes; bsize at 40, namelen at 44, frsize at 48. */
    static final int STATFS_SIZE = 80;

    // ---- file types (st_mode and dirent types) ----
    static final int S_IFDIR = 0040000;
    static final int S_IFREG = 0100000;
    static final int S_IFLNK = 0120000;
    static final int DT_DIR = 4;
    static final int DT_REG = 8;
    static final int DT_LNK = 10;

    // ---- errno values the protocol needs that devhost's kernel never raises ----
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EIO = 5;
    static final int EAGAIN = 11;
    static final int ENODEV = 19;
    static final int EPERM = 1;
    static final int EACCES = 13;
    static final int ENOSYS = 38;
    static final int ENODATA = 61;
    static final int ERANGE = 34;
    static final int EROFS = 30;
    static final int EPROTO = 71;
}
