package org.devhost.devfs;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.devhost.hal.FuseChannel;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.Operation;
import org.osgi.service.log.Logger;

/**
 * The FUSE server: threads that read requests from the channel, run them against the {@link
 * Nodes} and the kernel's open files, and write the replies.
 *
 * <p>Threads: an operation runs on the thread that read its request, so a driver's blocking read
 * holds that thread, as a system call holds the caller's. The pool grows so that one thread is
 * always waiting for the next request: when the last idle thread takes a request, it starts
 * another, up to {@code maxThreads} (then further requests wait in the kernel's queue until a
 * thread is free); a thread that finds more than {@link #MAX_IDLE} others idle after a request
 * ends. So N clients blocked in drivers cost N threads, and never starve the others.
 *
 * <p>Buffers: each thread owns one direct buffer, the request in its first part and the reply in
 * the second; a driver reads straight into the reply and writes straight from the request (no
 * copy in devfs).
 */
final class FuseServer {
    /** Largest write the kernel sends in one request (32 pages): every thread's request area holds one. */
    static final int MAX_IO = 128 * 1024;
    /**
     * Largest read the kernel asks for in one request (256 pages, where it offers FUSE_MAX_PAGES).
     * A read above {@link #MAX_IO} goes through a second buffer the thread makes the first time
     * it needs one, so only threads that served large reads hold a megabyte.
     */
    static final int MAX_READ = 1024 * 1024;
    private static final int REQUEST_AREA = MAX_IO + 8192;
    private static final int REPLY_AREA = MAX_IO + 4096;
    private static final int MIN_THREADS = 2;
    private static final int MAX_IDLE = 4;
    /** How long the kernel may cache a file's attributes (a change through devfs is seen at once). */
    private static final long ATTR_VALID_SECONDS = 1;
    static final String XATTR = "user.devhost.dev";

    private final FuseChannel channel;
    private final Nodes nodes;
    private final DeviceRegistry registry;
    private final Logger log;
    private final int maxThreads;
    private final Map<Long, Handle> files = new ConcurrentHashMap<>();
    private final Map<Long, List<Nodes.Entry>> folders = new ConcurrentHashMap<>();
    private final AtomicLong nextHandle = new AtomicLong(1);
    private final Interrupts interrupts = new Interrupts();
    private final AtomicInteger threads = new AtomicInteger();
    private final AtomicInteger idle = new AtomicInteger();
    private final AtomicInteger threadNames = new AtomicInteger();
    private final List<Thread> started = new ArrayList<>();
    final LongAdder[] requests = new LongAdder[Fuse.OPCODES + 1];
    final LongAdder errors = new LongAdder();
    final LongAdder interrupted = new LongAdder();
    final LongAdder pollWakeups = new LongAdder();
    private final AtomicInteger mostThreads = new AtomicInteger();
    private volatile int kernelMinor;
    private volatile boolean stopping;

    /** An open device file: the kernel's open file and what FUSE needs beside it. */
    static final class Handle {
        final OpenFile file;
        final boolean seekable;

        Handle(OpenFile file, boolean seekable) {
            this.file = file;
            this.seekable = seekable;
        }
    }

    FuseServer(FuseChannel channel, Nodes nodes, DeviceRegistry registry, Logger log, int maxThreads) {
        this.channel = channel;
        this.nodes = nodes;
        this.registry = registry;
        this.log = log;
        this.maxThreads = Math.max(MIN_THREADS, maxThreads);
        for (int i = 0; i < requests.length; i++) {
            requests[i] = new LongAdder();
        }
    }

    void start() {
        for (int i = 0; i < MIN_THREADS; i++) {
            startThread();
        }
    }

    /** Unmounts and waits (bounded) for the threads; open files are closed. */
    void stop() {
        stopping = true;
        channel.close();
        List<Thread> all;
        synchronized (started) {
            all = new ArrayList<>(started);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        for (Thread t : all) {
            try {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        files.values().forEach(h -> h.file.close());
        files.clear();
    }

    int threads() {
        return threads.get();
    }

    int mostThreads() {
        return mostThreads.get();
    }

    int openFiles() {
        return files.size();
    }

    int kernelMinor() {
        return kernelMinor;
    }

    private void startThread() {
        int n = threads.incrementAndGet();
        mostThreads.accumulateAndGet(n, Math::max);
        Thread t = new Thread(this::serve, "devfs-" + threadNames.incrementAndGet());
        t.setDaemon(true);
        synchronized (started) {
            started.removeIf(x -> !x.isAlive());
            started.add(t);
        }
        t.start();
    }

    // ---- the loop ----

    /** A server thread's buffer: the request area, then the reply area. */
    static ByteBuffer threadBuffer() {
        return ByteBuffer.allocateDirect(REQUEST_AREA + REPLY_AREA).order(ByteOrder.nativeOrder());
    }

    private void serve() {
        ByteBuffer buf = threadBuffer();
        Interrupts.Worker worker = new Interrupts.Worker();
        try {
            while (true) {
                buf.clear().limit(REQUEST_AREA);
                idle.incrementAndGet();
                int length;
                try {
                    length = channel.receive(buf);
                } catch (KernelException e) {
                    idle.decrementAndGet();
                    if (e.errno() != Errno.ENODEV && !stopping) {
                        log.error("devfs at {} stops reading requests: {}", channel.mountPoint(), e.getMessage());
                    }
                    return;
                }
                buf.clear(); // absolute gets and puts reach the reply area too
                if (idle.decrementAndGet() == 0 && threads.get() < maxThreads) {
                    startThread(); // keep one thread waiting while this one works
                }
                Thread.interrupted(); // a stale interrupt must not end the next driver wait
                dispatch(buf, length, worker);
                if (idle.get() >= MAX_IDLE && threads.get() > MIN_THREADS) {
                    return;
                }
            }
        } finally {
            threads.decrementAndGet();
        }
    }

    /**
     * Runs one request of {@code length} bytes at the start of {@code buf} (a {@link #threadBuffer})
     * and sends its reply, if it has one. Package-private so tests can run requests without a mount.
     */
    void dispatch(ByteBuffer buf, int length, Interrupts.Worker worker) {
        int opcode = buf.getInt(Fuse.IN_OPCODE);
        long unique = buf.getLong(Fuse.IN_UNIQUE);
        long nodeid = buf.getLong(Fuse.IN_NODEID);
        requests[Math.min(Math.max(opcode, 0), Fuse.OPCODES)].increment();
        int body = Fuse.IN_HEADER;
        int r = REQUEST_AREA; // the reply's header
        int out = r + Fuse.OUT_HEADER; // the reply's body
        try {
            switch (opcode) {
                case Fuse.INIT -> reply(buf, unique, init(buf, body, out));
                case Fuse.LOOKUP -> reply(buf, unique, lookup(buf, nodeid, cString(buf, body, length), out));
                case Fuse.GETATTR -> reply(buf, unique, attrOut(buf, nodeid, out));
                case Fuse.SETATTR -> reply(buf, unique, setattr(buf, nodeid, body, out));
                case Fuse.READLINK -> reply(buf, unique, readlink(buf, nodeid, out));
                case Fuse.OPENDIR -> reply(buf, unique, opendir(buf, nodeid, out));
                case Fuse.READDIR -> reply(buf, unique, readdir(buf, body, out));
                case Fuse.RELEASEDIR -> {
                    folders.remove(buf.getLong(body + Fuse.FH));
                    reply(buf, unique, 0);
                }
                case Fuse.STATFS -> reply(buf, unique, statfs(buf, out));
                case Fuse.GETXATTR -> reply(buf, unique, getxattr(buf, nodeid, body, length, out));
                case Fuse.LISTXATTR -> reply(buf, unique, listxattr(buf, nodeid, body, out));
                case Fuse.OPEN, Fuse.READ, Fuse.WRITE, Fuse.IOCTL, Fuse.POLL, Fuse.FSYNC -> {
                    interrupts.begin(worker, unique);
                    int size;
                    try {
                        size = fileOperation(opcode, buf, nodeid, body, out, worker, unique);
                    } finally {
                        interrupts.end(worker, unique);
                    }
                    if (size >= 0) {
                        reply(buf, unique, size);
                    }
                }
                case Fuse.FLUSH -> reply(buf, unique, 0);
                case Fuse.RELEASE -> {
                    Handle h = files.remove(buf.getLong(body + Fuse.FH));
                    if (h != null) {
                        h.file.close();
                    }
                    reply(buf, unique, 0);
                }
                case Fuse.INTERRUPT -> {
                    if (interrupts.interrupt(buf.getLong(body + Fuse.INTERRUPT_UNIQUE))) {
                        interrupted.increment();
                    }
                } // no reply
                case Fuse.FORGET, Fuse.BATCH_FORGET -> { } // no reply: node ids are never reused
                case Fuse.DESTROY -> reply(buf, unique, 0);
                case Fuse.CREATE, Fuse.MKNOD, Fuse.MKDIR, Fuse.SYMLINK, Fuse.LINK, Fuse.UNLINK, Fuse.RMDIR,
                        Fuse.RENAME, Fuse.RENAME2, Fuse.TMPFILE, Fuse.SETXATTR, Fuse.REMOVEXATTR ->
                    fail(buf, unique, Fuse.EPERM); // files come and go with drivers only
                default -> fail(buf, unique, Fuse.ENOSYS);
            }
        } catch (KernelException e) {
            fail(buf, unique, e.errno().number());
        } catch (NoData e) {
            fail(buf, unique, Fuse.ENODATA);
        } catch (RuntimeException e) {
            log.error("devfs: {} on node {} failed", Fuse.opcodeName(opcode), nodeid, e);
            fail(buf, unique, Fuse.EIO);
        }
    }

    // ---- replies ----

    private void reply(ByteBuffer buf, long unique, int bodySize) {
        int r = REQUEST_AREA;
        int len = Fuse.OUT_HEADER + bodySize;
        buf.putInt(r, len).putInt(r + 4, 0).putLong(r + 8, unique);
        send(buf, r, len);
    }

    private void fail(ByteBuffer buf, long unique, int errno) {
        if (errno != Fuse.ENOSYS && errno != Fuse.ENOENT && errno != Fuse.ENODATA) {
            errors.increment();
        }
        int r = REQUEST_AREA;
        buf.putInt(r, Fuse.OUT_HEADER).putInt(r + 4, -errno).putLong(r + 8, unique);
        send(buf, r, Fuse.OUT_HEADER);
    }

    private void send(ByteBuffer buf, int from, int len) {
        buf.limit(from + len).position(from);
        try {
            channel.send(buf); // false: the request was interrupted and nobody waits
        } catch (KernelException e) {
            if (!stopping) {
                log.warn("devfs: reply not delivered: {}", e.getMessage());
            }
        }
        buf.clear();
    }

    /** FUSE_NOTIFY_POLL: the kernel wakes the clients polling with handle {@code kh}. */
    private void notifyPoll(long kh) {
        ByteBuffer b = NOTIFY.get();
        b.clear();
        b.putInt(0, Fuse.OUT_HEADER + 8).putInt(4, Fuse.NOTIFY_POLL).putLong(8, 0).putLong(16, kh);
        b.limit(Fuse.OUT_HEADER + 8);
        try {
            channel.send(b);
            pollWakeups.increment();
        } catch (KernelException e) {
            // the connection is gone; nobody polls any more
        }
    }

    private static final ThreadLocal<ByteBuffer> NOTIFY =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(32).order(ByteOrder.nativeOrder()));

    // ---- the file system ----

    private int init(ByteBuffer buf, int body, int out) {
        int major = buf.getInt(body + Fuse.INIT_IN_MAJOR);
        int minor = buf.getInt(body + Fuse.INIT_IN_MINOR);
        int offered = buf.getInt(body + Fuse.INIT_IN_FLAGS);
        for (int i = 0; i < Fuse.INIT_OUT_SIZE; i += 8) {
            buf.putLong(out + i, 0);
        }
        buf.putInt(out, Fuse.MAJOR);
        if (major > Fuse.MAJOR) {
            return 8; // the kernel asks again with our major
        }
        if (major < Fuse.MAJOR || minor < 12) {
            throw new KernelException(Errno.EINVAL, "FUSE protocol " + major + "." + minor + " is too old (need 7.12)");
        }
        kernelMinor = minor;
        buf.putInt(out + 4, Math.min(minor, Fuse.MINOR));
        buf.putInt(out + 8, buf.getInt(body + Fuse.INIT_IN_MAX_READAHEAD));
        buf.putInt(out + 12, offered & (Fuse.ASYNC_READ | Fuse.ATOMIC_O_TRUNC | Fuse.BIG_WRITES | Fuse.MAX_PAGES));
        buf.putShort(out + 16, (short) 64); // max_background
        buf.putShort(out + 18, (short) 48); // congestion_threshold
        buf.putInt(out + 20, MAX_IO); // max_write
        buf.putInt(out + 24, 1); // time_gran: nanoseconds
        buf.putShort(out + 28, (short) (MAX_READ / 4096)); // max_pages: taken only with FUSE_MAX_PAGES
        return minor < 23 ? 24 : Fuse.INIT_OUT_SIZE;
    }

    private int lookup(ByteBuffer buf, long parent, String name, int out) {
        long id = nodes.lookup(parent, name);
        if (id == 0) {
            throw new KernelException(Errno.ENOENT, name);
        }
        buf.putLong(out, id).putLong(out + 8, 0); // nodeid, generation
        buf.putLong(out + 16, 0).putLong(out + 24, ATTR_VALID_SECONDS); // entry_valid 0: every lookup asks
        buf.putInt(out + 32, 0).putInt(out + 36, 0);
        attr(buf, id, out + 40);
        return Fuse.ENTRY_OUT_SIZE;
    }

    private int attrOut(ByteBuffer buf, long id, int out) {
        buf.putLong(out, ATTR_VALID_SECONDS).putInt(out + 8, 0).putInt(out + 12, 0);
        attr(buf, id, out + 16);
        return Fuse.ATTR_OUT_SIZE;
    }

    /** Fills a struct fuse_attr; ENOENT when the node's device is gone. */
    private void attr(ByteBuffer buf, long id, int at) {
        for (int i = 0; i < Fuse.ATTR_SIZE; i += 8) {
            buf.putLong(at + i, 0);
        }
        int mode;
        int nlink = 1;
        long size = 0;
        int uid = nodes.uid();
        int gid = nodes.gid();
        long a = nodes.bornNanos;
        long m = a;
        long c = a;
        if (id == Nodes.ROOT || id == Nodes.CHAR) {
            mode = Fuse.S_IFDIR | 0755;
            nlink = 2;
        } else {
            Nodes.Node n = node(id);
            uid = n.uid;
            gid = n.gid;
            a = n.atimeNanos;
            m = n.mtimeNanos;
            c = n.ctimeNanos;
            if (Nodes.isLink(id)) {
                mode = Fuse.S_IFLNK | 0777;
                size = linkTarget(n).length();
            } else {
                mode = Fuse.S_IFREG | n.mode;
            }
        }
        buf.putLong(at, id).putLong(at + 8, size);
        buf.putLong(at + 24, a / 1_000_000_000L).putLong(at + 32, m / 1_000_000_000L).putLong(at + 40, c / 1_000_000_000L);
        buf.putInt(at + 48, (int) (a % 1_000_000_000L)).putInt(at + 52, (int) (m % 1_000_000_000L))
                .putInt(at + 56, (int) (c % 1_000_000_000L));
        buf.putInt(at + 60, mode).putInt(at + 64, nlink).putInt(at + 68, uid).putInt(at + 72, gid);
        buf.putInt(at + 80, 4096);
    }

    private Nodes.Node node(long id) {
        Nodes.Node n = nodes.node(id);
        if (n == null) {
            throw new KernelException(Errno.ENOENT, "node " + id + " (its device is gone)");
        }
        return n;
    }

    private static String linkTarget(Nodes.Node n) {
        return "../" + n.name;
    }

    private int setattr(ByteBuffer buf, long id, int body, int out) {
        if (id == Nodes.ROOT || id == Nodes.CHAR || Nodes.isLink(id)) {
            throw new KernelException(Errno.EPERM, "devfs folders and links keep their attributes");
        }
        Nodes.Node n = node(id);
        int valid = buf.getInt(body + Fuse.SETATTR_VALID);
        if ((valid & Fuse.FATTR_SIZE) != 0) {
            throw new KernelException(Errno.EINVAL, "a device file has no size to truncate");
        }
        long now = Nodes.now();
        if ((valid & Fuse.FATTR_MODE) != 0) {
            n.mode = buf.getInt(body + Fuse.SETATTR_MODE) & 07777;
        }
        if ((valid & Fuse.FATTR_UID) != 0) {
            n.uid = buf.getInt(body + Fuse.SETATTR_UID);
        }
        if ((valid & Fuse.FATTR_GID) != 0) {
            n.gid = buf.getInt(body + Fuse.SETATTR_GID);
        }
        if ((valid & Fuse.FATTR_ATIME) != 0) {
            n.atimeNanos = (valid & Fuse.FATTR_ATIME_NOW) != 0 ? now
                    : buf.getLong(body + Fuse.SETATTR_ATIME) * 1_000_000_000L + buf.getInt(body + 56);
        }
        if ((valid & Fuse.FATTR_MTIME) != 0) {
            n.mtimeNanos = (valid & Fuse.FATTR_MTIME_NOW) != 0 ? now
                    : buf.getLong(body + Fuse.SETATTR_MTIME) * 1_000_000_000L + buf.getInt(body + 60);
        }
        n.ctimeNanos = now;
        return attrOut(buf, id, out);
    }

    private int readlink(ByteBuffer buf, long id, int out) {
        if (!Nodes.isLink(id)) {
            throw new KernelException(Errno.EINVAL, "not a link");
        }
        return putString(buf, out, linkTarget(node(id)));
    }

    private int opendir(ByteBuffer buf, long id, int out) {
        if (id != Nodes.ROOT && id != Nodes.CHAR) {
            throw new KernelException(Errno.ENOTDIR, "node " + id);
        }
        long fh = nextHandle.getAndIncrement();
        folders.put(fh, nodes.list(id)); // a snapshot: offsets stay valid while the listing is read
        buf.putLong(out, fh).putInt(out + 8, 0).putInt(out + 12, 0);
        return Fuse.OPEN_OUT_SIZE;
    }

    private int readdir(ByteBuffer buf, int body, int out) {
        List<Nodes.Entry> entries = folders.get(buf.getLong(body + Fuse.RW_FH));
        if (entries == null) {
            throw new KernelException(Errno.EBADF, "folder handle");
        }
        long offset = buf.getLong(body + Fuse.RW_OFFSET);
        // The offset is the client's (lseek on the folder), any 64 bits. Those this listing hands
        // out (entry i's d_off is i + 1) run from 0 to its length; anything past the end, huge or
        // negative as signed, lists nothing, and only an offset in range is narrowed to an int.
        if (offset < 0 || offset >= entries.size()) {
            return 0;
        }
        int size = Math.min(buf.getInt(body + Fuse.RW_SIZE), REPLY_AREA - Fuse.OUT_HEADER);
        int at = 0;
        for (int i = (int) offset; i < entries.size(); i++) {
            Nodes.Entry e = entries.get(i);
            byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
            int entry = (Fuse.DIRENT_HEADER + name.length + 7) & ~7;
            if (at + entry > size) {
                break;
            }
            int p = out + at;
            buf.putLong(p, e.id()).putLong(p + 8, i + 1).putInt(p + 16, name.length).putInt(p + 20, e.type());
            buf.put(p + Fuse.DIRENT_HEADER, name);
            for (int z = Fuse.DIRENT_HEADER + name.length; z < entry; z++) {
                buf.put(p + z, (byte) 0);
            }
            at += entry;
        }
        return at;
    }

    private int statfs(ByteBuffer buf, int out) {
        for (int i = 0; i < Fuse.STATFS_SIZE; i += 8) {
            buf.putLong(out + i, 0);
        }
        buf.putLong(out + 24, nodes.size()); // files
        buf.putInt(out + 40, 4096).putInt(out + 44, 255).putInt(out + 48, 4096);
        return Fuse.STATFS_SIZE;
    }

    private int getxattr(ByteBuffer buf, long id, int body, int length, int out) {
        int size = buf.getInt(body);
        String name = cString(buf, body + Fuse.GETXATTR_IN_SIZE, length);
        if (!XATTR.equals(name) || id == Nodes.ROOT || id == Nodes.CHAR) {
            throw new NoData(name);
        }
        byte[] value = node(id).number.getBytes(StandardCharsets.US_ASCII);
        return sized(buf, out, size, value);
    }

    private int listxattr(ByteBuffer buf, long id, int body, int out) {
        int size = buf.getInt(body);
        byte[] names = id == Nodes.ROOT || id == Nodes.CHAR ? new byte[0]
                : (XATTR + "\0").getBytes(StandardCharsets.US_ASCII);
        if (id != Nodes.ROOT && id != Nodes.CHAR) {
            node(id);
        }
        return sized(buf, out, size, names);
    }

    /** The xattr answer: the length when asked with size 0, ERANGE when too small, else the bytes. */
    private static int sized(ByteBuffer buf, int out, int size, byte[] value) {
        if (size == 0) {
            buf.putInt(out, value.length).putInt(out + 4, 0);
            return 8;
        }
        if (size < value.length) {
            throw new KernelException(Errno.ERANGE, "xattr buffer of " + size + " bytes");
        }
        buf.put(out, value);
        return value.length;
    }

    // ---- device files: the driver's operations ----

    /** @return the reply's body size, or -1 when the reply went out already (a large read) */
    private int fileOperation(int opcode, ByteBuffer buf, long id, int body, int out, Interrupts.Worker worker,
            long unique) {
        if (opcode == Fuse.OPEN) {
            return open(buf, id, body, out);
        }
        Handle h = files.get(buf.getLong(body + Fuse.FH));
        if (h == null) {
            throw new KernelException(Errno.EBADF, "file handle");
        }
        switch (opcode) {
            case Fuse.READ -> {
                statusFlags(h, buf.getInt(body + Fuse.RW_FLAGS));
                int size = Math.min(buf.getInt(body + Fuse.RW_SIZE), MAX_READ);
                if (size > REPLY_AREA - Fuse.OUT_HEADER) {
                    return largeRead(h, buf.getLong(body + Fuse.RW_OFFSET), size, worker, unique);
                }
                ByteBuffer dst = buf.slice(out, size);
                // the client's kernel keeps the position of a seekable file and sends it along
                return h.seekable ? h.file.read(dst, buf.getLong(body + Fuse.RW_OFFSET)) : h.file.read(dst);
            }
            case Fuse.WRITE -> {
                statusFlags(h, buf.getInt(body + Fuse.RW_FLAGS));
                int size = buf.getInt(body + Fuse.RW_SIZE);
                ByteBuffer src = buf.slice(body + Fuse.WRITE_IN_SIZE, size);
                int n = h.seekable ? h.file.write(src, buf.getLong(body + Fuse.RW_OFFSET)) : h.file.write(src);
                buf.putInt(out, n).putInt(out + 4, 0);
                return 8;
            }
            case Fuse.IOCTL -> {
                return ioctl(h, buf, body, out);
            }
            case Fuse.POLL -> {
                long kh = buf.getLong(body + Fuse.POLL_KH);
                int mask = (buf.getInt(body + Fuse.POLL_FLAGS) & Fuse.POLL_SCHEDULE_NOTIFY) != 0
                        ? h.file.poll(() -> notifyPoll(kh)) : h.file.poll();
                buf.putInt(out, mask).putInt(out + 4, 0);
                return 8;
            }
            case Fuse.FSYNC -> {
                h.file.fsync();
                return 0;
            }
            default -> throw new KernelException(Errno.ENOSYS, Fuse.opcodeName(opcode));
        }
    }

    /** A read above the reply area: into the thread's large buffer, replied from there. */
    private int largeRead(Handle h, long offset, int size, Interrupts.Worker worker, long unique) {
        if (worker.large == null) {
            worker.large = ByteBuffer.allocateDirect(Fuse.OUT_HEADER + MAX_READ).order(ByteOrder.nativeOrder());
        }
        ByteBuffer big = worker.large;
        big.clear();
        ByteBuffer dst = big.slice(Fuse.OUT_HEADER, size);
        int n = h.seekable ? h.file.read(dst, offset) : h.file.read(dst);
        big.putInt(0, Fuse.OUT_HEADER + n).putInt(4, 0).putLong(8, unique);
        send(big, 0, Fuse.OUT_HEADER + n);
        return -1;
    }

    private int open(ByteBuffer buf, long id, int body, int out) {
        if (id == Nodes.ROOT || id == Nodes.CHAR) {
            throw new KernelException(Errno.EISDIR, "a devfs folder");
        }
        Nodes.Node n = node(id);
        int flags = buf.getInt(body) & (OpenFlags.O_ACCMODE | OpenFlags.O_NONBLOCK | OpenFlags.O_APPEND | OpenFlags.O_TRUNC);
        OpenFile file = registry.open(n.device.number(), flags);
        boolean seekable = n.device.operations().contains(Operation.SEEK);
        long fh = nextHandle.getAndIncrement();
        files.put(fh, new Handle(file, seekable));
        n.atimeNanos = Nodes.now();
        buf.putLong(out, fh);
        buf.putInt(out + 8, Fuse.FOPEN_DIRECT_IO | (seekable ? 0 : Fuse.FOPEN_NONSEEKABLE | Fuse.FOPEN_STREAM));
        buf.putInt(out + 12, 0);
        return Fuse.OPEN_OUT_SIZE;
    }

    /** fcntl(F_SETFL) on the client's side reaches devfs as the flags of each read and write. */
    private static void statusFlags(Handle h, int fileFlags) {
        int wanted = fileFlags & (OpenFlags.O_NONBLOCK | OpenFlags.O_APPEND);
        if (wanted != (h.file.flags() & (OpenFlags.O_NONBLOCK | OpenFlags.O_APPEND))) {
            h.file.setStatusFlags(wanted); // the open file's flags() shows them from here on
        }
    }

    /**
     * A restricted ioctl: the kernel took the size and direction from the command's {@code _IOC}
     * bits and copied {@code in_size} bytes in; the driver gets that memory (or the plain value
     * for a command without a size), and {@code out_size} bytes of it go back.
     */
    private int ioctl(Handle h, ByteBuffer buf, int body, int out) {
        if ((buf.getInt(body + Fuse.IOCTL_FLAGS) & Fuse.IOCTL_UNRESTRICTED) != 0) {
            throw new KernelException(Errno.ENOTTY, "unrestricted ioctl");
        }
        int cmd = buf.getInt(body + Fuse.IOCTL_CMD);
        long arg = buf.getLong(body + Fuse.IOCTL_ARG);
        int inSize = buf.getInt(body + Fuse.IOCTL_IN_SIZE);
        int outSize = buf.getInt(body + Fuse.IOCTL_OUT_SIZE);
        int data = out + Fuse.IOCTL_OUT_HEADER;
        long result;
        if (inSize == 0 && outSize == 0) {
            result = h.file.ioctl(cmd, arg);
        } else {
            int size = Math.max(inSize, outSize);
            if (size > REPLY_AREA - Fuse.OUT_HEADER - Fuse.IOCTL_OUT_HEADER) {
                throw new KernelException(Errno.EINVAL, "ioctl argument of " + size + " bytes");
            }
            ByteBuffer mem = buf.slice(data, size).order(ByteOrder.nativeOrder());
            for (int i = 0; i < size; i++) {
                mem.put(i, i < inSize ? buf.get(body + Fuse.IOCTL_IN_HEADER + i) : 0);
            }
            result = h.file.ioctl(cmd, mem);
        }
        buf.putInt(out, (int) Math.min(result, Integer.MAX_VALUE)).putInt(out + 4, 0).putInt(out + 8, 0).putInt(out + 12, 0);
        return Fuse.IOCTL_OUT_HEADER + outSize;
    }

    /** ENODATA, which the kernel's errno set has no use for: an extended attribute that is not there. */
    private static final class NoData extends RuntimeException {
        NoData(String name) {
            super(name, null, false, false);
        }
    }

    // ---- strings ----

    /** A NUL-terminated name at {@code at}. */
    private static String cString(ByteBuffer buf, int at, int end) {
        int e = at;
        while (e < end && buf.get(e) != 0) {
            e++;
        }
        byte[] b = new byte[e - at];
        buf.get(at, b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private static int putString(ByteBuffer buf, int at, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        buf.put(at, b);
        return b.length;
    }
}
