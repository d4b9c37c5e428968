package org.devhost.devfs;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.devhost.hal.FuseChannel;
import org.devhost.hal.FuseQueue;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.File;
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
 * holds that thread, as a system call holds the caller's. Requests that run no driver code
 * (lookups, attributes, folders, FLUSH, FORGET and INTERRUPT) are answered at once by the thread
 * that read them. A thread enters driver code (OPEN, READ, WRITE, IOCTL, POLL, FSYNC, and the
 * driver's release behind RELEASE) only as one of at most {@code maxThreads} such operations at
 * once, at most {@code userThreads} of them for one user (the uid of the request); beyond either
 * bound the request gets EAGAIN at once (logged once per user), instead of waiting for a thread.
 * The pool starts a thread whenever none is waiting for requests and fewer than {@link #READERS}
 * are outside driver code; a thread that finds more than {@link #MAX_IDLE} others idle after a
 * request ends. So N clients blocked in drivers cost N threads, never starve the others, and
 * never stop devfs from reading requests: whatever drivers hold, a thread reads the next
 * request, a FUSE_INTERRUPT or FORGET included, and one user's blocked clients cannot take the
 * operations another user needs.
 *
 * <p>Every request is answered, whatever the driver does ({@link Requests}): the watch thread
 * answers EINTR for a request whose client was interrupted and that is still in the driver after
 * the grace ({@code devhost.devfs.interrupt_grace_ms}), and ENODEV for one whose file was revoked.
 * The thread the driver still holds is then abandoned: it leaves the pool's counts (its place in
 * driver code, and its user's, go to the next request; readers are kept as always), and it sends
 * nothing and ends when the driver returns it. At most {@code maxAbandoned} threads are abandoned
 * at once (a driver that never returns would otherwise cost a thread per signal); beyond that a
 * request is still answered for its driver, but its thread keeps its place until the driver
 * returns it.
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
    /** Threads the pool keeps outside driver code (reading, or answering what needs no driver). */
    private static final int READERS = 2;
    /** Default of {@code devhost.devfs.user_threads}. */
    static final int DEFAULT_USER_THREADS = 64;
    /** Users whose refusal was logged, at most this many (the rest are counted only). */
    private static final int REFUSALS_LOGGED = 1024;
    /** Default of {@code devhost.devfs.interrupt_grace_ms}. */
    static final int DEFAULT_GRACE_MS = 200;
    /** Default of {@code devhost.devfs.threads}. */
    static final int DEFAULT_THREADS = 256;
    /** How many threads may be abandoned in drivers at once (see the type comment). */
    static final int MAX_ABANDONED = 64;
    /** How long the kernel may cache a file's attributes (a change through devfs is seen at once). */
    private static final long ATTR_VALID_SECONDS = 1;
    static final String XATTR = "user.devhost.dev";

    private final FuseChannel channel;
    private final Nodes nodes;
    private final DeviceRegistry registry;
    private final Logger log;
    private final int maxThreads;
    private final int userThreads;
    private final long graceNanos;
    private final int maxAbandoned;
    private final Map<Long, Handle> files = new ConcurrentHashMap<>();
    private final Map<Long, List<Nodes.Entry>> folders = new ConcurrentHashMap<>();
    private final AtomicLong nextHandle = new AtomicLong(1);
    private final Requests inDriver = new Requests();
    /** Pool threads: those reading, answering, or running a driver's code; not the abandoned ones. */
    private final AtomicInteger threads = new AtomicInteger();
    /** Threads the pool gave up to drivers that hold them after their request was answered. */
    private final AtomicInteger abandoned = new AtomicInteger();
    /** Pool threads in driver code (admitted operations and releases); at most maxThreads admitted. */
    private final AtomicInteger busy = new AtomicInteger();
    /** Admitted operations by user id; an entry stays once made (one per user seen). */
    private final Map<Integer, AtomicInteger> perUser = new ConcurrentHashMap<>();
    /** Users told of once in the log (-1: the bound of all users). */
    private final Set<Integer> refusalsLogged = ConcurrentHashMap.newKeySet();
    /** Requests refused with EAGAIN at a bound. */
    final LongAdder refused = new LongAdder();
    private final AtomicInteger idle = new AtomicInteger();
    private final AtomicInteger threadNames = new AtomicInteger();
    private final List<Thread> started = new ArrayList<>();
    final LongAdder[] requests = new LongAdder[Fuse.OPCODES + 1];
    final LongAdder errors = new LongAdder();
    final LongAdder interrupted = new LongAdder();
    final LongAdder pollWakeups = new LongAdder();
    /** Requests answered EINTR or ENODEV on their driver's behalf; replies the driver's late return then dropped. */
    final LongAdder answeredForDrivers = new LongAdder();
    final LongAdder lateReplies = new LongAdder();
    /** The watch thread's reply buffer: an error reply is a header only. */
    private final ByteBuffer sweepReply = ByteBuffer.allocateDirect(Fuse.OUT_HEADER).order(ByteOrder.nativeOrder());
    private volatile Thread watch;
    private volatile boolean boundReported;
    private final AtomicInteger mostThreads = new AtomicInteger();
    private volatile int kernelMinor;
    private volatile boolean stopping;
    /** How requests come: {@code fuse} ({@code /dev/fuse} only), or {@code uring} (io_uring when the kernel offers it and the HAL can). */
    private volatile String transport = "fuse";
    private volatile boolean pin = true;
    /** The io_uring queues once INIT accepted them; null while requests come through /dev/fuse. */
    private volatile Rings rings;
    /** Why requests come through /dev/fuse, when they do. */
    private volatile String fuseWhy = "before INIT";
    /** The worker of a ring thread ({@link #serveEntry}); unset on /dev/fuse threads. */
    private static final ThreadLocal<Requests.Worker> RING_WORKER = new ThreadLocal<>();

    /** An open device file: the kernel's open file and what FUSE needs beside it. */
    static final class Handle {
        final OpenFile file;
        final boolean seekable;

        Handle(OpenFile file, boolean seekable) {
            this.file = file;
            this.seekable = seekable;
        }
    }

    /**
     * @param graceMillis how long a request may stay in the driver after its client's interrupt
     *     before devfs answers EINTR for it (0: at the next sweep)
     * @param maxAbandoned how many threads may be abandoned in drivers at once
     * @param maxThreads how many operations may run in driver code at once (each holds a thread)
     * @param userThreads how many of them one user may have (at most {@code maxThreads})
     */
    FuseServer(FuseChannel channel, Nodes nodes, DeviceRegistry registry, Logger log, int maxThreads, int userThreads,
            long graceMillis, int maxAbandoned) {
        this.channel = channel;
        this.nodes = nodes;
        this.registry = registry;
        this.log = log;
        this.maxThreads = Math.max(MIN_THREADS, maxThreads);
        this.userThreads = Math.max(1, Math.min(userThreads, this.maxThreads));
        this.graceNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(0, graceMillis));
        this.maxAbandoned = Math.max(0, maxAbandoned);
        for (int i = 0; i < requests.length; i++) {
            requests[i] = new LongAdder();
        }
    }

    /** Chooses the transport (before {@link #start}): {@code fuse} or {@code uring}; {@code pin} pins ring threads to their CPUs. */
    void transport(String mode, boolean pinned) {
        transport = mode;
        pin = pinned;
    }

    /** Which transport serves, and why, for dev:mounts and the log. */
    String transport() {
        Rings r = rings;
        return r != null && r.state().startsWith("io_uring") ? r.state() + "; requests on the rings " + r.requests.sum()
                + ", entries " + r.depth() + ", hand-overs " + r.handoffs.sum() : r != null ? r.state() : "/dev/fuse (" + fuseWhy + ")";
    }

    void start() {
        for (int i = 0; i < MIN_THREADS; i++) {
            startThread();
        }
        Thread w = new Thread(this::watch, "devfs-watch");
        w.setDaemon(true);
        watch = w;
        w.start();
    }

    /**
     * The watch thread: sweeps for requests to answer on their drivers' behalf, at a period of
     * half the grace (at least 10 ms, at most 100 ms), so an interrupted request is answered at
     * most a period after its grace, and a revoked one within a period.
     */
    private void watch() {
        long period = Math.min(TimeUnit.MILLISECONDS.toNanos(100), Math.max(TimeUnit.MILLISECONDS.toNanos(10), graceNanos / 2));
        while (!stopping) {
            try {
                sweep(System.nanoTime());
            } catch (RuntimeException e) {
                log.error("devfs: the sweep for requests stuck in drivers failed; it runs again", e);
            }
            LockSupport.parkNanos(this, period);
        }
    }

    /** Unmounts and waits (bounded) for the threads; open files are closed. */
    void stop() {
        stopping = true;
        channel.close();
        List<Thread> all;
        synchronized (started) {
            all = new ArrayList<>(started); // without the abandoned: a driver holds them, no join would end
        }
        Thread w = watch;
        if (w != null) {
            LockSupport.unpark(w);
            all.add(w);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        Rings r = rings;
        if (r != null) {
            r.stop(deadline);
        }
        joinAll(all, deadline);
        files.values().forEach(h -> h.file.close());
        files.clear();
    }

    int threads() {
        return threads.get();
    }

    int mostThreads() {
        return mostThreads.get();
    }

    int abandonedThreads() {
        return abandoned.get();
    }

    /** Pool threads in driver code now. */
    int busyThreads() {
        return busy.get();
    }

    int openFiles() {
        return files.size();
    }

    int kernelMinor() {
        return kernelMinor;
    }

    /**
     * Starts a thread when none waits for requests and fewer than {@link #READERS} are outside
     * driver code. Called by a thread that took the last idle one's place, and by one entering
     * driver code (after it counted itself busy): so a thread that may stay in a driver for ever
     * always leaves another that reads. Races may start one thread too many, never one too few
     * (each caller checks after its own change of the counts); the surplus ends when idle.
     */
    private void ensureReader() {
        if (idle.get() == 0 && threads.get() - busy.get() < READERS && !stopping) {
            startThread();
        }
    }

    /** Waits for each of {@code threads} to end, until {@code deadline} ({@link System#nanoTime}) at most. */
    static void joinAll(List<Thread> threads, long deadline) {
        for (Thread t : threads) {
            try {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
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
        Requests.Worker worker = new Requests.Worker();
        boolean given = false;
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
                if (idle.decrementAndGet() == 0) {
                    ensureReader(); // keep a thread waiting while this one works
                }
                Thread.interrupted(); // a stale interrupt must not end the next driver wait
                if (!dispatch(buf, length, worker)) {
                    given = true; // abandoned: sweep() took it out of the pool's counts
                    return;
                }
                if (idle.get() >= MAX_IDLE && threads.get() > MIN_THREADS) {
                    return;
                }
            }
        } finally {
            if (given) {
                abandoned.decrementAndGet();
            } else {
                threads.decrementAndGet();
            }
        }
    }

    /**
     * Runs one request of {@code length} bytes at the start of {@code buf} (a {@link #threadBuffer})
     * and sends its reply, if it has one. Package-private so tests can run requests without a mount.
     *
     * @return false when this thread was abandoned while a driver held it: it must leave the pool
     */
    boolean dispatch(ByteBuffer buf, int length, Requests.Worker worker) {
        int opcode = buf.getInt(Fuse.IN_OPCODE);
        long unique = buf.getLong(Fuse.IN_UNIQUE);
        long nodeid = buf.getLong(Fuse.IN_NODEID);
        requests[Math.min(Math.max(opcode, 0), Fuse.OPCODES)].increment();
        int body = Fuse.IN_HEADER;
        int r = REQUEST_AREA; // the reply's header
        int out = r + Fuse.OUT_HEADER; // the reply's body
        try {
            switch (opcode) {
                case Fuse.INIT -> {
                    reply(buf, unique, init(buf, body, out));
                    Rings accepted = rings;
                    if (accepted != null) {
                        accepted.start(); // the reply accepted the rings: the kernel now waits for their entries
                    }
                }
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
                    return driverRequest(opcode, buf, nodeid, unique, worker);
                }
                case Fuse.FLUSH -> reply(buf, unique, 0);
                case Fuse.RELEASE -> {
                    Handle h = files.remove(buf.getLong(body + Fuse.FH));
                    if (h != null) {
                        // close runs the driver's release when no operation holds the file: driver
                        // code, never refused (the file must go), counted busy so a reader is kept
                        busy.incrementAndGet();
                        if (rings == null || RING_WORKER.get() == null) {
                            ensureReader();
                        }
                        try {
                            h.file.close();
                        } finally {
                            busy.decrementAndGet();
                        }
                    }
                    reply(buf, unique, 0);
                }
                case Fuse.INTERRUPT -> {
                    if (inDriver.interrupt(buf.getLong(body + Fuse.INTERRUPT_UNIQUE))) {
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
        return true;
    }

    /**
     * A request that runs driver code. Its one reply goes out only when this thread claims it: the
     * watch thread may have answered for the driver meanwhile ({@link #sweep}), and then what the
     * driver returned has nobody to go to.
     *
     * @return false when this thread was abandoned meanwhile
     */
    private boolean driverRequest(int opcode, ByteBuffer buf, long nodeid, long unique, Requests.Worker worker) {
        int body = Fuse.IN_HEADER;
        int out = REQUEST_AREA + Fuse.OUT_HEADER;
        Handle h = null;
        if (opcode != Fuse.OPEN) {
            h = files.get(buf.getLong(body + Fuse.FH));
            if (h == null) {
                fail(buf, unique, Errno.EBADF.number());
                return true;
            }
        }
        int uid = buf.getInt(Fuse.IN_UID);
        if (!admit(uid)) {
            fail(buf, unique, Fuse.EAGAIN);
            return true;
        }
        Requests.Request r = inDriver.begin(worker, unique, nodeid, uid, h == null ? null : h.file,
                Fuse.opcodeName(opcode));
        try {
            int size;
            int errno = 0;
            try {
                size = fileOperation(opcode, buf, nodeid, body, out, h, r);
            } catch (KernelException e) {
                size = 0;
                errno = e.errno().number();
            } catch (RuntimeException e) {
                log.error("devfs: {} on node {} failed", Fuse.opcodeName(opcode), nodeid, e);
                size = 0;
                errno = Fuse.EIO;
            }
            if (size == SENT) {
                return true;
            }
            if (size != LOST && claim(r)) {
                if (errno != 0) {
                    fail(buf, unique, errno);
                } else {
                    reply(buf, unique, size);
                }
                return true;
            }
            if (opcode == Fuse.OPEN && errno == 0) {
                // the client was told EINTR or ENODEV: it never learns this handle, so nobody else closes it
                Handle opened = files.remove(buf.getLong(out));
                if (opened != null) {
                    opened.file.close();
                }
            }
            return !r.abandoned();
        } finally {
            inDriver.end(r);
            if (!r.abandoned()) {
                leave(uid); // an abandoned request's place was given back by sweep()
            }
        }
    }

    /**
     * Takes a place in driver code for a request of user {@code uid}: false (counted, and logged
     * once per user) when the user already has {@code userThreads} requests there, or all users
     * {@code maxThreads}. On true, {@link #leave} must follow.
     */
    private boolean admit(int uid) {
        AtomicInteger mine = perUser.computeIfAbsent(uid, u -> new AtomicInteger());
        if (mine.incrementAndGet() > userThreads) {
            mine.decrementAndGet();
            refused(uid, "user " + Integer.toUnsignedString(uid) + " has " + userThreads
                    + " requests in drivers, the most one user may have (devhost.devfs.user_threads)");
            return false;
        }
        if (busy.incrementAndGet() > maxThreads) {
            busy.decrementAndGet();
            mine.decrementAndGet();
            refused(-1, maxThreads + " requests are in drivers, the most there may be (devhost.devfs.threads)");
            return false;
        }
        if (rings == null || RING_WORKER.get() == null) {
            ensureReader(); // a ring thread's queue goes to another thread if it blocks (Rings)
        }
        return true;
    }

    private void leave(int uid) {
        busy.decrementAndGet();
        perUser.get(uid).decrementAndGet();
    }

    private void refused(int who, String why) {
        refused.increment();
        if (refusalsLogged.size() < REFUSALS_LOGGED && refusalsLogged.add(who)) {
            log.warn("devfs: {}; further requests that would run driver code get EAGAIN until some of them end"
                    + " (logged once{})", why, who == -1 ? "" : " per user");
        }
    }

    /** A driver request's reply went out from the thread's large buffer. */
    private static final int SENT = -1;
    /** A driver request's reply was sent for the driver meanwhile; this one is dropped. */
    private static final int LOST = -2;

    /** This thread's claim to answer {@code r}; false (counted) when it was answered for the driver meanwhile. */
    private boolean claim(Requests.Request r) {
        if (r.claim()) {
            return true;
        }
        lateReplies.increment();
        return false;
    }

    // ---- answering for drivers ----

    /**
     * Answers, on their drivers' behalf, the requests that are overdue at {@code now} ({@link
     * Requests#overdue}): EINTR for an interrupted one past the grace, ENODEV for a revoked one.
     * The thread each was running on is abandoned while fewer than {@code maxAbandoned} are, and
     * keeps its place in the pool otherwise. Runs on the watch thread only (it owns {@code
     * sweepReply}).
     */
    private void sweep(long now) {
        for (Requests.Overdue o : inDriver.overdue(now, graceNanos, this::revoked)) {
            Requests.Request r = o.request();
            // a slot is reserved before the take-over, so the thread's own return (which reads the
            // state) and the counts agree: an ABANDONED request's thread is out of the pool's count
            boolean replace = abandoned.incrementAndGet() <= maxAbandoned;
            if (!replace) {
                abandoned.decrementAndGet();
            }
            if (!r.takeOver(replace)) {
                if (replace) {
                    abandoned.decrementAndGet();
                }
                continue; // its thread claimed it first: its own reply goes out
            }
            inDriver.answered(r);
            if (r.queue != null) {
                answerOnRing(r, o.errno());
            } else {
                answerFor(r.unique, o.errno());
            }
            answeredForDrivers.increment();
            String thread = r.worker.thread.getName();
            if (replace) {
                // out of the pool's counts: its place in driver code goes to the next request
                // (ensureReader keeps readers beside the busy threads, so none is started here)
                leave(r.uid);
                if (r.queue == null) { // a ring thread is in no pool count: its queue was handed on already
                    threads.decrementAndGet();
                    synchronized (started) {
                        started.remove(r.worker.thread);
                    }
                }
                log.warn("devfs: {} on {} answered {} for its driver: {}, and the driver still holds '{}'; the thread is"
                        + " left to it and its place given to the next request ({} abandoned, at most {})", r.what, deviceName(r),
                        o.errno() == Fuse.EINTR ? "EINTR" : "ENODEV", o.why(), thread, abandoned.get(), maxAbandoned);
            } else if (!boundReported) {
                boundReported = true;
                log.error("devfs: {} on {} answered for its driver ({}), but {} threads are already abandoned in drivers,"
                        + " the most there may be: '{}' keeps its place in driver code until the driver returns it, so"
                        + " fewer requests can run in drivers meanwhile (logged once)", r.what, deviceName(r), o.why(),
                        maxAbandoned, thread);
            }
        }
    }

    /** Whether the file a request runs on is being taken from its driver (or, for OPEN, its device is gone). */
    private boolean revoked(Requests.Request r) {
        // The kernel's open file is also the driver's view of it, which says at once when
        // revocation began; the node says it when the device's removal is finished.
        return r.file instanceof File f && f.isRevoked() || nodes.node(r.nodeid) == null;
    }

    private String deviceName(Requests.Request r) {
        if (r.file != null) {
            return r.file.deviceName();
        }
        Nodes.Node n = nodes.node(r.nodeid);
        return n != null ? n.name : "node " + r.nodeid;
    }

    /** An error reply committed to a ring request's entry (its thread works in its own buffer, never the entry's). */
    private void answerOnRing(Requests.Request r, int errno) {
        ByteBuffer h = r.queue.header(r.entry);
        h.putInt(FuseQueue.IN_OUT, Fuse.OUT_HEADER).putInt(FuseQueue.IN_OUT + 4, -errno).putLong(FuseQueue.IN_OUT + 8, r.unique);
        h.putInt(FuseQueue.PAYLOAD_SIZE, 0);
        try {
            commit(r.queue, r.entry);
        } catch (KernelException e) {
            if (!stopping) {
                log.warn("devfs: the answer for a stuck driver was not delivered: {}", e.getMessage());
            }
        }
    }

    /** An error reply from the sweeping thread's own buffer (the request's thread still uses its own). */
    private void answerFor(long unique, int errno) {
        ByteBuffer b = sweepReply;
        b.clear();
        b.putInt(0, Fuse.OUT_HEADER).putInt(4, -errno).putLong(8, unique);
        try {
            channel.send(b); // false: the client is gone meanwhile, nobody waits
        } catch (KernelException e) {
            if (!stopping) {
                log.warn("devfs: the answer for a stuck driver was not delivered: {}", e.getMessage());
            }
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
        Requests.Worker ring = rings == null ? null : RING_WORKER.get();
        try {
            if (ring != null && ring.queue != null) {
                ringReply(ring, buf, from, len);
                return;
            }
            buf.limit(from + len).position(from);
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

    // ---- FUSE over io_uring ----

    /** The rings, made when the kernel offers FUSE over io_uring and the transport and HAL allow; else null, and why. */
    private Rings offerRings(ByteBuffer buf, int body, int offered) {
        if (!transport.equals("uring")) {
            fuseWhy = "devhost.devfs.transport=fuse, the default; =uring asks for FUSE over io_uring";
            return null;
        }
        boolean kernelOffers = (offered & Fuse.INIT_EXT) != 0 && (buf.getInt(body + Fuse.INIT_IN_FLAGS2) & Fuse.OVER_IO_URING) != 0;
        if (!kernelOffers) {
            fuseWhy = "the kernel does not offer FUSE over io_uring: it needs Linux 6.14+ with"
                    + " /sys/module/fuse/parameters/enable_uring set to Y";
            log.info("devfs: requests come through /dev/fuse: {}", fuseWhy);
            System.out.println("devhost: devfs requests come through /dev/fuse: " + fuseWhy);
            return null;
        }
        Rings r = Rings.open(channel, this, log, pin, Math.min(4096, maxThreads + Rings.DEPTH), MAX_READ);
        if (r == null) {
            fuseWhy = channel.hasQueues() ? "the io_uring queues could not be made (see the log)"
                    : "this HAL backend has no io_uring";
        }
        return r;
    }

    /**
     * Serves the request in entry {@code entry} of ring queue {@code q} on a ring thread: copied
     * into the thread's buffer as {@code /dev/fuse} gives it (header, operation's header, payload),
     * run by {@link #dispatch}, whose reply {@link #send} commits to the entry.
     */
    void serveEntry(FuseQueue q, int entry, ByteBuffer buf, Requests.Worker worker) {
        if (RING_WORKER.get() != worker) {
            RING_WORKER.set(worker);
        }
        ByteBuffer h = q.header(entry);
        int length = h.getInt(FuseQueue.IN_OUT);
        int payload = h.getInt(FuseQueue.PAYLOAD_SIZE);
        int op = length - Fuse.IN_HEADER - payload;
        worker.queue = q;
        worker.entry = entry;
        buf.clear();
        if (op < 0 || op > FuseQueue.ENTRY - FuseQueue.OP || payload < 0 || length > REQUEST_AREA) {
            long unique = h.getLong(FuseQueue.IN_OUT + Fuse.IN_UNIQUE);
            log.error("devfs: a malformed request on FUSE queue {} (length {}, payload {}); answered EIO", q.id(), length, payload);
            fail(buf, unique, Fuse.EIO);
            worker.queue = null;
            return;
        }
        buf.put(0, h, FuseQueue.IN_OUT, Fuse.IN_HEADER);
        buf.put(Fuse.IN_HEADER, h, FuseQueue.OP, op);
        if (payload > 0) {
            buf.put(Fuse.IN_HEADER + op, q.payload(entry), 0, payload);
        }
        Thread.interrupted(); // a stale interrupt must not end the next driver wait
        if (!dispatch(buf, length, worker)) {
            abandoned.decrementAndGet(); // answered for its driver, which returned it at last: the thread goes on
        }
        worker.queue = null;
    }

    /** A reply to the request in the ring thread's entry: its header and body to the entry, committed. */
    private void ringReply(Requests.Worker w, ByteBuffer buf, int from, int len) {
        FuseQueue q = w.queue;
        int entry = w.entry;
        w.queue = null; // one reply per entry: after this commit it holds the next request
        ByteBuffer h = q.header(entry);
        h.putInt(FuseQueue.IN_OUT, len).putInt(FuseQueue.IN_OUT + 4, buf.getInt(from + 4))
                .putLong(FuseQueue.IN_OUT + 8, buf.getLong(from + 8));
        int body = len - Fuse.OUT_HEADER;
        if (body > 0) {
            q.payload(entry).put(0, buf, from + Fuse.OUT_HEADER, body);
        }
        h.putInt(FuseQueue.PAYLOAD_SIZE, body);
        if (w.owner) {
            w.toCommit = entry; // with the owner's next take, in one call
            return;
        }
        commit(q, entry);
    }

    void commit(FuseQueue q, int entry) {
        try {
            q.commit(entry);
        } finally {
            Rings r = rings;
            if (r != null) {
                r.committed(q.id());
            }
        }
    }

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
        if (minor >= 23 && rings == null) {
            rings = offerRings(buf, body, offered);
            if (rings != null) {
                buf.putInt(out + 12, buf.getInt(out + 12) | Fuse.INIT_EXT);
                buf.putInt(out + Fuse.INIT_OUT_FLAGS2, Fuse.OVER_IO_URING);
            }
        }
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

    /**
     * @param h the open file, null for OPEN
     * @return the reply's body size; {@link #SENT} when a large read's reply went out, {@link
     *     #LOST} when it was answered for the driver meanwhile
     */
    private int fileOperation(int opcode, ByteBuffer buf, long id, int body, int out, Handle h, Requests.Request r) {
        if (opcode == Fuse.OPEN) {
            return open(buf, id, body, out);
        }
        switch (opcode) {
            case Fuse.READ -> {
                statusFlags(h, buf.getInt(body + Fuse.RW_FLAGS));
                int size = Math.min(buf.getInt(body + Fuse.RW_SIZE), MAX_READ);
                if (size > REPLY_AREA - Fuse.OUT_HEADER) {
                    return largeRead(h, buf.getLong(body + Fuse.RW_OFFSET), size, r);
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

    /** A read above the reply area: into the thread's large buffer, replied from there once claimed. */
    private int largeRead(Handle h, long offset, int size, Requests.Request r) {
        Requests.Worker worker = r.worker;
        if (worker.large == null) {
            worker.large = ByteBuffer.allocateDirect(Fuse.OUT_HEADER + MAX_READ).order(ByteOrder.nativeOrder());
        }
        ByteBuffer big = worker.large;
        big.clear();
        ByteBuffer dst = big.slice(Fuse.OUT_HEADER, size);
        int n = h.seekable ? h.file.read(dst, offset) : h.file.read(dst);
        if (!claim(r)) {
            return LOST;
        }
        big.putInt(0, Fuse.OUT_HEADER + n).putInt(4, 0).putLong(8, r.unique);
        send(big, 0, Fuse.OUT_HEADER + n);
        return SENT;
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
