package org.devhost.hal.common;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.devhost.hal.FuseQueue;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;

/**
 * A queue of FUSE over io_uring: one io_uring (128-byte submission entries, no liburing) whose
 * entries are {@code IORING_OP_URING_CMD}s on the {@code /dev/fuse} descriptor.
 *
 * <p>Layout (include/uapi/linux/io_uring.h): {@code io_uring_setup} fills a 120-byte {@code
 * io_uring_params} with the offsets of the submission ring's head, tail, mask and index array and
 * of the completion ring's head, tail, mask and entries; one {@code mmap} at offset 0 maps both
 * rings (IORING_FEAT_SINGLE_MMAP), another at {@code IORING_OFF_SQES} the submission entries. The
 * tails and heads the other side reads are written with release and read with acquire ordering.
 *
 * <p>Invariants: every entry has at most one command in the kernel (registered once, then one
 * COMMIT_AND_FETCH per request taken), so at most {@code capacity} commands are outstanding and
 * neither ring can overflow (the submission ring is emptied by the {@code io_uring_enter} that
 * follows each submission, under {@code sqLock}; the completion ring has twice the room). {@code
 * refs} is 1 plus one per call in flight; the ring's descriptor and memory go when it reaches 0.
 */
final class UringQueue implements FuseQueue {
    private static final int IORING_SETUP_SQE128 = 1 << 10;
    private static final int IORING_FEAT_SINGLE_MMAP = 1;
    private static final int IORING_OP_URING_CMD = 46;
    private static final int IORING_ENTER_GETEVENTS = 1;
    private static final long IORING_OFF_SQES = 0x10000000L;
    private static final int PROT_READ_WRITE = 3;
    private static final int MAP_SHARED_POPULATE = 0x01 | 0x8000;
    private static final int MAP_PRIVATE_ANONYMOUS_NORESERVE = 0x02 | 0x20 | 0x4000;
    private static final int PARAMS_SIZE = 120;
    private static final int ECANCELED = 125;
    private static final int SQE_SIZE = 128;
    private static final int CQE_SIZE = 16;
    /** enum fuse_uring_cmd (include/uapi/linux/fuse.h). */
    private static final int FUSE_IO_URING_CMD_REGISTER = 1;
    private static final int FUSE_IO_URING_CMD_COMMIT_AND_FETCH = 2;
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

    private final Syscalls sys;
    private final int fuseFd;
    private final int id;
    private final int capacity;
    private final int payloadSize;
    private final long payloadArea;
    private final long payloadsSize;
    /** Entries registered so far (guarded by sqLock; read unguarded by depth()). */
    private volatile int registered;
    private final Runnable release;
    private final int ringFd;
    private final long rings;
    private final long ringsSize;
    private final long sqes;
    private final long sqesSize;
    private final ByteBuffer ring;
    private final ByteBuffer sqe;
    private final int sqHead;
    private final int sqTail;
    private final int sqMask;
    private final int sqArray;
    private final int cqHead;
    private final int cqTail;
    private final int cqMask;
    private final int cqes;
    private final ByteBuffer[] headers;
    private final ByteBuffer[] payloads;
    /** Two iovecs per entry (header, payload), read by the kernel at registration. */
    private final ByteBuffer iovecs;
    private final Object sqLock = new Object();
    private final Object cqLock = new Object();
    private final Refs refs = new Refs(this::unmap);
    private volatile boolean closed;
    private volatile KernelException ended;

    /**
     * Makes the ring; {@link #grow} registers entries.
     * @param release called once, when the ring is gone (the channel's reference to its descriptor)
     */
    UringQueue(Syscalls sys, int fuseFd, int id, int capacity, int payloadSize, Runnable release) {
        if (capacity < 1 || capacity > 4096 || payloadSize < 4096) {
            release.run();
            throw new KernelException(Errno.EINVAL, "a FUSE queue needs 1 to 4096 entries and a payload of at least 4096 bytes");
        }
        this.capacity = capacity;
        this.sys = sys;
        this.fuseFd = fuseFd;
        this.id = id;
        this.release = release;
        ByteBuffer params = ByteBuffer.allocateDirect(PARAMS_SIZE).order(ByteOrder.nativeOrder());
        params.putInt(8, IORING_SETUP_SQE128);
        int fd = sys.ioUringSetup(capacity, sys.address(params));
        if (fd < 0) {
            release.run();
            throw Errnos.of(fd, "io_uring_setup for FUSE queue " + id);
        }
        ringFd = fd;
        if ((params.getInt(20) & IORING_FEAT_SINGLE_MMAP) == 0) {
            sys.close(fd);
            release.run();
            throw new KernelException(Errno.EOPNOTSUPP, "this kernel's io_uring maps its rings apart (no IORING_FEAT_SINGLE_MMAP)");
        }
        int sqEntries = params.getInt(0);
        int cqEntries = params.getInt(4);
        sqHead = params.getInt(40);
        sqTail = params.getInt(44);
        int sqMaskAt = params.getInt(48); // offsets in the ring of the masks, not the masks

        sqArray = params.getInt(64);
        cqHead = params.getInt(80);
        cqTail = params.getInt(84);
        int cqMaskAt = params.getInt(88);
        cqes = params.getInt(100);
        ringsSize = Math.max(sqArray + 4L * sqEntries, cqes + (long) CQE_SIZE * cqEntries);
        long r = sys.mmap(0, ringsSize, PROT_READ_WRITE, MAP_SHARED_POPULATE, fd, 0);
        long s = r < 0 ? r : sys.mmap(0, (long) SQE_SIZE * sqEntries, PROT_READ_WRITE, MAP_SHARED_POPULATE, fd, IORING_OFF_SQES);
        if (r < 0 || s < 0) {
            if (r >= 0) {
                sys.munmap(r, ringsSize);
            }
            sys.close(fd);
            release.run();
            throw Errnos.of(r < 0 ? r : s, "mmap of FUSE queue " + id + "'s io_uring");
        }
        rings = r;
        sqes = s;
        sqesSize = (long) SQE_SIZE * sqEntries;
        ring = sys.view(rings, (int) ringsSize).order(ByteOrder.nativeOrder());
        sqe = sys.view(sqes, (int) sqesSize).order(ByteOrder.nativeOrder());
        sqMask = ring.getInt(sqMaskAt);
        cqMask = ring.getInt(cqMaskAt);
        this.payloadSize = payloadSize;
        headers = new ByteBuffer[capacity];
        payloads = new ByteBuffer[capacity];
        iovecs = ByteBuffer.allocateDirect(32 * capacity).order(ByteOrder.nativeOrder());
        // the payloads: address space for every entry the queue may have, touched only as used
        payloadsSize = (long) capacity * payloadSize;
        long p = sys.mmap(0, payloadsSize, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS_NORESERVE, -1, 0);
        if (p < 0) {
            sys.munmap(sqes, sqesSize);
            sys.munmap(rings, ringsSize);
            sys.close(fd);
            release.run();
            throw Errnos.of(p, "mmap of FUSE queue " + id + "'s payloads (" + payloadsSize + " bytes)");
        }
        payloadArea = p;
    }

    /** Registers {@code more} entries (at most up to the capacity); returns how many the queue has now. */
    @Override
    public int grow(int more) {
        enter();
        try {
            synchronized (sqLock) {
                int target = Math.min(capacity, registered + Math.max(0, more));
                for (int e = registered; e < target; e++) {
                    headers[e] = ByteBuffer.allocateDirect(HEADER_SIZE).order(ByteOrder.nativeOrder());
                    payloads[e] = sys.view(payloadArea + (long) e * payloadSize, payloadSize).order(ByteOrder.nativeOrder());
                    iovecs.putLong(32 * e, sys.address(headers[e])).putLong(32 * e + 8, HEADER_SIZE)
                            .putLong(32 * e + 16, payloadArea + (long) e * payloadSize).putLong(32 * e + 24, payloadSize);
                    submit(FUSE_IO_URING_CMD_REGISTER, e, sys.address(iovecs) + 32L * e, 0, false);
                    registered = e + 1;
                }
                return registered;
            }
        } finally {
            leave();
        }
    }

    @Override
    public int id() {
        return id;
    }

    @Override
    public int depth() {
        return registered;
    }

    @Override
    public ByteBuffer header(int entry) {
        return headers[entry];
    }

    @Override
    public ByteBuffer payload(int entry) {
        return payloads[entry];
    }

    @Override
    public int take() {
        enter();
        try {
            return reap();
        } finally {
            leave();
        }
    }

    @Override
    public int commitAndTake(int entry) {
        enter();
        try {
            submit(FUSE_IO_URING_CMD_COMMIT_AND_FETCH, entry, 0, headers[entry].getLong(ENTRY + 8), true);
            return reap();
        } finally {
            leave();
        }
    }

    /** The next completion's entry, waiting for one when there is none. */
    private int reap() {
        while (true) {
            synchronized (cqLock) {
                int head = (int) INT.getAcquire(ring, cqHead);
                int tail = (int) INT.getAcquire(ring, cqTail);
                if (head != tail) {
                    int at = cqes + (head & cqMask) * CQE_SIZE;
                    long entry = ring.getLong(at);
                    int res = ring.getInt(at + 8);
                    INT.setRelease(ring, cqHead, head + 1);
                    if (res >= 0) {
                        return (int) entry;
                    }
                    throw end(res, entry);
                }
            }
            KernelException e = ended;
            if (e != null) {
                throw e;
            }
            int n = sys.ioUringEnter(ringFd, 0, 1, IORING_ENTER_GETEVENTS);
            if (n < 0 && !Errnos.is(n, Errno.EINTR) && !Errnos.is(n, Errno.EAGAIN)) {
                throw end(n, -1);
            }
        }
    }

    /** The queue has ended: the first cause is kept and given to every later call. */
    private KernelException end(int res, long entry) {
        KernelException e = ended;
        if (e == null) {
            // ENOTCONN: the connection was aborted or unmounted, or the entry's thread exited
            e = closed || res == -Linux.ENOTCONN || res == -ECANCELED || Errnos.is(res, Errno.ENODEV)
                    ? new KernelException(Errno.ENODEV, "FUSE queue " + id + " ended (errno " + -res
                            + (entry >= 0 ? " on entry " + entry : "") + ")")
                    : Errnos.of(res, "FUSE queue " + id + (entry >= 0 ? ", entry " + entry : ""));
            ended = e;
        }
        return e;
    }

    @Override
    public void commit(int entry) {
        enter();
        try {
            submit(FUSE_IO_URING_CMD_COMMIT_AND_FETCH, entry, 0, headers[entry].getLong(ENTRY + 8), false);
        } finally {
            leave();
        }
    }

    /**
     * One URING_CMD for {@code entry}, submitted at once; with {@code wait}, the same call waits
     * for a completion (the commit of a reply and the wait for the next request in one system
     * call). Only the entry's filling is under {@code sqLock}: a thread whose call finds its entry
     * submitted already by another's (which takes every entry filled) is done.
     */
    private void submit(int command, int entry, long iov, long commitId, boolean wait) {
        synchronized (sqLock) {
            KernelException e = ended;
            if (e != null) {
                throw e;
            }
            int tail = (int) INT.getAcquire(ring, sqTail);
            int index = tail & sqMask;
            int at = index * SQE_SIZE;
            for (int i = 0; i < SQE_SIZE; i += 8) {
                sqe.putLong(at + i, 0);
            }
            sqe.put(at, (byte) IORING_OP_URING_CMD);
            sqe.putInt(at + 4, fuseFd);
            sqe.putInt(at + 8, command); // cmd_op
            if (iov != 0) {
                sqe.putLong(at + 16, iov); // addr: the entry's two iovecs
                sqe.putInt(at + 24, 2);
            }
            sqe.putLong(at + 32, entry); // user_data
            // struct fuse_uring_cmd_req in the command area at 48: flags, commit_id, qid
            sqe.putLong(at + 56, commitId);
            sqe.putShort(at + 64, (short) id);
            ring.putInt(sqArray + 4 * index, index);
            INT.setRelease(ring, sqTail, tail + 1);
        }
        while (true) {
            // a result of 0 or more: submitted, by this call or by another thread's before it
            int n = wait ? sys.ioUringEnter(ringFd, 1, 1, IORING_ENTER_GETEVENTS) : sys.ioUringEnter(ringFd, 1, 0, 0);
            if (n >= 0) {
                return;
            }
            if (!Errnos.is(n, Errno.EINTR) && !Errnos.is(n, Errno.EAGAIN)) {
                throw end(n, entry);
            }
        }
    }

    @Override
    public boolean pin() {
        return sys.pinToCpu(id) == 0;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (ended == null) {
            ended = new KernelException(Errno.ENODEV, "FUSE queue " + id + " is closed");
        }
        leave();
    }

    private void enter() {
        if (!refs.take()) {
            throw new KernelException(Errno.ENODEV, "FUSE queue " + id + " is closed");
        }
    }

    private void leave() {
        refs.drop();
    }

    private void unmap() {
        // closing the ring cancels the commands still waiting in it
        sys.munmap(sqes, sqesSize);
        sys.munmap(rings, ringsSize);
        sys.close(ringFd);
        sys.munmap(payloadArea, payloadsSize);
        release.run();
    }
}
