package org.devhost.kernel.impl.chrdev;

import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.devhost.kernel.DeviceNumber;
import org.devhost.kernel.Errno;
import org.devhost.kernel.File;
import org.devhost.kernel.IoctlArg;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.Operation;
import org.devhost.kernel.PollEvents;
import org.devhost.kernel.PollTable;
import org.devhost.kernel.impl.wait.PollSubscription;
import org.devhost.kernel.impl.wait.WaitQueueImpl;

/**
 * An open file: the user's handle ({@link OpenFile}) and the driver's view ({@link File}) of it.
 *
 * <p>Invariants: {@code refs} is 1 for the user's reference (until close or revocation drops it)
 * plus 1 per operation in flight; when it reaches 0 the driver's release runs, exactly once, and
 * the count never rises again. Operations take a reference first, so release never overlaps one.
 * The position is a volatile long: concurrent callers on one file race for it, as in Linux.
 *
 * <p>Poll subscriptions: {@code pending} holds at most one {@link OpenFile#poll(Runnable)}
 * subscription (a new one cancels the old one; close cancels it; it clears itself when it fires),
 * and {@code pollers} the subscriptions of callers parked in {@link #poll(int, long)}, one per
 * parked thread. Close and revocation fire every poller so none stays parked on a file that is
 * gone. Whoever adds a subscription does so before it checks {@code closed} (in {@code enter}),
 * and close sets {@code closed} before it sweeps them, so a subscription is either swept or
 * refused, never left behind.
 */
public final class OpenFileImpl implements OpenFile, File {
    private final CharDevice device;
    /**
     * The flags given to open; {@code flags} differs from them in O_NONBLOCK and O_APPEND at most,
     * so the access mode checks on the read and write paths read this final field, not the volatile.
     */
    private final int openFlags;
    private volatile int flags;
    private final ModuleContext opener;
    private Object data; // written once before the file is published, then only read
    private final AtomicInteger refs = new AtomicInteger(1);
    /**
     * Counts operations entered, for the watchdog: an operation in flight while this number stands
     * still has been running since the watchdog last looked. Written with an opaque store and no
     * atomic increment (concurrent callers may lose a count; the watchdog only needs to see it
     * move), so the I/O path pays one plain store.
     */
    @SuppressWarnings("unused") // read and written through OP_SEQ
    private int opSeq;
    /**
     * The thread that entered the last operation, while that operation runs; null once it has
     * left. For the watchdog: when {@code opSeq} has stood still for the limit, this thread has
     * been in its operation at least that long, and its stack says whether it runs in the driver
     * or is parked in a kernel wait. Only the thread that stored itself clears it (on its exit),
     * so a non-null value is a thread still in an operation of this file; a race of two callers
     * can leave it null (a hang then goes unseen until the next operation), never wrong. Opaque
     * accesses: one plain store on entry, one load and compare on exit.
     */
    @SuppressWarnings("unused") // read and written through OWNER
    private Thread owner;
    private static final java.lang.invoke.VarHandle OP_SEQ;
    private static final java.lang.invoke.VarHandle OWNER;
    static {
        try {
            java.lang.invoke.MethodHandles.Lookup l = java.lang.invoke.MethodHandles.lookup();
            OP_SEQ = l.findVarHandle(OpenFileImpl.class, "opSeq", int.class);
            OWNER = l.findVarHandle(OpenFileImpl.class, "owner", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    private final AtomicBoolean userReferenceDropped = new AtomicBoolean();
    private volatile boolean closed;
    private volatile long position;
    private final AtomicReference<PollSubscription> pending = new AtomicReference<>();
    private final Set<PollSubscription> pollers = ConcurrentHashMap.newKeySet();

    /** The status flags {@code F_SETFL} changes; the rest of what it is given is ignored, as in Linux. */
    static final int SETFL_MASK = OpenFlags.O_NONBLOCK | OpenFlags.O_APPEND;
    /** What {@link #poll(int, long)} reports whether asked for or not. */
    private static final int ALWAYS_REPORTED = PollEvents.POLLERR | PollEvents.POLLHUP;

    OpenFileImpl(CharDevice device, int flags, ModuleContext opener) {
        this.device = device;
        this.openFlags = flags;
        this.flags = flags;
        this.opener = opener;
    }

    void attach(Object data) {
        this.data = data;
    }

    // ---- the driver's view ----

    @Override
    public DeviceNumber device() {
        return device.number();
    }

    @Override
    public String deviceName() {
        return device.name();
    }

    @Override
    public int flags() {
        return flags;
    }

    @Override
    public long position() {
        return position;
    }

    @Override
    public boolean isRevoked() {
        return device.isRevoked();
    }

    // ---- reference counting ----

    private void enter(String what) {
        if (closed) {
            throw new KernelException(Errno.EBADF, what + " " + device.name() + ": file is closed");
        }
        int r;
        do {
            r = refs.get();
            if (r == 0) {
                throw closed ? new KernelException(Errno.EBADF, what + " " + device.name() + ": file is closed")
                        : device.gone(what);
            }
        } while (!refs.compareAndSet(r, r + 1));
        OP_SEQ.setOpaque(this, (int) OP_SEQ.getOpaque(this) + 1);
        OWNER.setOpaque(this, Thread.currentThread());
        if (device.isRevoked()) {
            exit();
            throw device.gone(what);
        }
    }

    private void exit() {
        if (OWNER.getOpaque(this) == Thread.currentThread()) {
            OWNER.setOpaque(this, null);
        }
        if (refs.decrementAndGet() == 0) {
            release();
        }
    }

    /** Operations entered so far (see {@code opSeq}). */
    public int operationsEntered() {
        return (int) OP_SEQ.getOpaque(this);
    }

    /** The thread in the last operation entered, while it runs (see {@code owner}), or null. */
    public Thread lastEntrant() {
        return (Thread) OWNER.getOpaque(this);
    }

    /** Whether an operation of this file is in the driver now (or parked in a kernel wait). */
    public boolean operationInFlight() {
        return refs.get() > (userReferenceDropped.get() ? 0 : 1);
    }

    /** Drops the user's reference once (close or revocation, whichever comes first). */
    void dropOpenReference() {
        if (userReferenceDropped.compareAndSet(false, true)) {
            exit();
        }
    }

    @SuppressWarnings("unchecked")
    private void release() {
        try {
            if (device.operations().contains(Operation.RELEASE)) {
                device.ops.release(data, this);
            }
        } catch (Throwable e) {
            // release has no caller to answer: the fault is logged, the file goes all the same
            device.moduleContext().log("ERROR", "release on " + device.name() + " threw " + e, e);
            if (e instanceof VirtualMachineError vme && !(e instanceof StackOverflowError)) {
                throw vme;
            }
        } finally {
            opener.closed(this);
            device.fileReleased(this);
        }
    }

    // ---- the user's handle (device(), deviceName(), flags() and position() serve both sides) ----

    @Override
    public int read(ByteBuffer dst) {
        int n = transfer(false, dst, position, "read");
        if (n > 0) {
            position += n;
        }
        return n;
    }

    @Override
    public int write(ByteBuffer src) {
        int n = transfer(true, src, position, "write");
        if (n > 0) {
            position += n;
        }
        return n;
    }

    @Override
    public int read(ByteBuffer dst, long at) {
        positional("pread", at);
        return transfer(false, dst, at, "pread");
    }

    @Override
    public int write(ByteBuffer src, long at) {
        positional("pwrite", at);
        return transfer(true, src, at, "pwrite");
    }

    /** The driver's operations behind this file (for a satellite's watchdog question). */
    public Object driverOperations() {
        return device.ops;
    }

    /**
     * A read forwarded from the host, whose file keeps the position (this file is an isolated
     * module's side of it): this file takes the host's position, then reads there, as the host's
     * {@link #read(ByteBuffer)} would have (no pread rule: the host applied it).
     */
    public int forwardedRead(ByteBuffer dst, long hostPosition) {
        position = hostPosition;
        return transfer(false, dst, hostPosition, "read");
    }

    /** A write forwarded from the host (see {@link #forwardedRead}). */
    public int forwardedWrite(ByteBuffer src, long hostPosition) {
        position = hostPosition;
        return transfer(true, src, hostPosition, "write");
    }

    /** A seek forwarded from the host (see {@link #forwardedRead}): relative to the host's position. */
    public long forwardedSeek(long hostPosition, long offset, int whence) {
        position = hostPosition;
        return seek(offset, whence);
    }

    /** One read or write by the driver at {@code at}; the callers keep the file position. */
    @SuppressWarnings("unchecked")
    private int transfer(boolean write, ByteBuffer buffer, long at, String call) {
        if (write ? !OpenFlags.writable(openFlags) : !OpenFlags.readable(openFlags)) {
            throw new KernelException(Errno.EBADF, call + " " + device.name() + ": not open for "
                    + (write ? "writing" : "reading"));
        }
        String op = write ? "write" : "read";
        int given = buffer.remaining();
        int start = buffer.position();
        enter(op);
        try {
            int n = write ? device.ops.write(data, this, buffer, at) : device.ops.read(data, this, buffer, at);
            // Callers take the count as the truth (devfs sends the first n bytes of a reply buffer
            // that every request and client reuses; the position moves by n): a read's count is at
            // most what the driver put into the buffer, or stale bytes would go out; a write's is at
            // most what it was given. A count outside that is the driver's fault, as a throw is.
            int put = write ? given : buffer.position() - start;
            if (n < 0 || n > given || n > put) {
                throw new BadCount(op + " returned " + n + " with " + given + " bytes "
                        + (write ? "given" : "asked for and " + put + " put into the buffer"));
            }
            return n;
        } catch (Throwable e) {
            throw device.fault(e, op);
        } finally {
            exit();
        }
    }

    /**
     * A count or result the driver returned that breaks the {@code FileOperations} contract: the
     * kernel treats it as a throw, so it is logged under the driver's name and the caller gets EIO.
     * No stack trace: it is made in the kernel, which would be all the trace shows.
     */
    private static final class BadCount extends RuntimeException {
        BadCount(String message) {
            super(message, null, false, false);
        }
    }

    /** pread and pwrite need a device that seeks (Linux: no FMODE_PREAD after nonseekable_open). */
    private void positional(String call, long at) {
        if (!device.operations().contains(Operation.SEEK)) {
            throw new KernelException(Errno.ESPIPE, call + " " + device.name() + ": the device cannot seek");
        }
        if (at < 0) {
            throw new KernelException(Errno.EINVAL, call + " " + device.name() + ": negative position " + at);
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public long seek(long offset, int whence) {
        if (whence < SEEK_SET || whence > SEEK_END) {
            throw new KernelException(Errno.EINVAL, "seek " + device.name() + ": whence " + whence
                    + " is not SEEK_SET, SEEK_CUR or SEEK_END");
        }
        enter("seek");
        try {
            long p = device.ops.seek(data, this, offset, whence);
            if (p < 0) {
                throw new KernelException(Errno.EINVAL, "seek " + device.name() + ": position would be negative");
            }
            position = p;
            return p;
        } catch (Throwable e) {
            throw device.fault(e, "seek");
        } finally {
            exit();
        }
    }

    @Override
    public long ioctl(int cmd, long arg) {
        return ioctl(cmd, IoctlArg.value(arg));
    }

    @Override
    public long ioctl(int cmd, ByteBuffer arg) {
        return ioctl(cmd, IoctlArg.pointer(arg));
    }

    @SuppressWarnings("unchecked")
    private long ioctl(int cmd, IoctlArg arg) {
        enter("ioctl");
        try {
            long r = device.ops.ioctl(data, this, cmd, arg);
            // The contract's result is non-negative (errors are thrown): a negative one passed on
            // would reach a devfs client as a failed ioctl with whatever errno its value spells.
            if (r < 0) {
                throw new BadCount("ioctl 0x" + Integer.toHexString(cmd) + " returned " + r);
            }
            return r;
        } catch (Throwable e) {
            throw device.fault(e, "ioctl");
        } finally {
            exit();
        }
    }

    @Override
    public int poll() {
        return runPoll(PollSubscription.NONE);
    }

    /** The driver's poll, once, with {@code table} collecting the queues it names. */
    @SuppressWarnings("unchecked")
    private int runPoll(PollTable table) {
        enter("poll");
        try {
            return device.ops.poll(data, this, table);
        } catch (Throwable e) {
            throw device.fault(e, "poll");
        } finally {
            exit();
        }
    }

    @Override
    public int poll(int events, long timeoutMillis) {
        int wanted = events | ALWAYS_REPORTED;
        if (timeoutMillis == 0) {
            return runPoll(PollSubscription.NONE) & wanted;
        }
        long deadline = deadline(timeoutMillis);
        Thread me = Thread.currentThread();
        while (true) {
            PollSubscription sub = new PollSubscription(() -> LockSupport.unpark(me), this::pollActionFailed);
            pollers.add(sub); // before runPoll's closed check: see the type comment
            try {
                int ready = runPoll(sub) & wanted;
                if (ready != 0) {
                    return ready;
                }
                if (!WaitQueueImpl.parkUntilFired(sub, deadline, device.name())) {
                    // As Linux's do_poll: one last look when the time is up, for a driver without queues
                    return runPoll(PollSubscription.NONE) & wanted;
                }
            } finally {
                pollers.remove(sub);
                sub.cancel();
            }
        }
    }

    private static long deadline(long timeoutMillis) {
        if (timeoutMillis < 0 || timeoutMillis >= Long.MAX_VALUE / 1_000_000L) {
            return Long.MAX_VALUE;
        }
        long d = System.nanoTime() + timeoutMillis * 1_000_000L;
        return d == Long.MAX_VALUE ? d - 1 : d; // MAX_VALUE means no deadline
    }

    @Override
    public int poll(Runnable onReady) {
        if (onReady == null) {
            throw new KernelException(Errno.EINVAL, "poll " + device.name() + ": no onReady action given");
        }
        OneShot action = new OneShot(onReady);
        PollSubscription sub = new PollSubscription(action, this::pollActionFailed);
        action.sub = sub;
        // Installed before the driver runs, so a wake during its poll reaches it; the old one goes.
        PollSubscription old = pending.getAndSet(sub);
        if (old != null) {
            old.cancel();
        }
        int mask;
        try {
            mask = runPoll(sub);
        } catch (RuntimeException | Error e) {
            drop(sub);
            throw e;
        }
        if (!sub.hasQueues()) {
            drop(sub); // nothing can wake it: keep nothing
        } else if (device.isRevoked()) {
            sub.fire(); // revocation's wake may have passed before the driver registered
        }
        return mask;
    }

    private void drop(PollSubscription sub) {
        pending.compareAndSet(sub, null);
        sub.cancel();
    }

    /** The action of a {@link #poll(Runnable)} subscription: clears {@code pending}, then runs the caller's. */
    private final class OneShot implements Runnable {
        private final Runnable onReady;
        private volatile PollSubscription sub;

        OneShot(Runnable onReady) {
            this.onReady = onReady;
        }

        @Override
        public void run() {
            pending.compareAndSet(sub, null);
            onReady.run();
        }
    }

    /** A poll subscriber's action threw on a waking thread: logged under the module that opened the file. */
    private void pollActionFailed(Throwable e) {
        opener.log("ERROR", "poll notification for " + device.name() + " threw " + e + "; dropped", e);
    }

    /** The device is being revoked: every subscription fires (pollers wake and get ENODEV). */
    void revoked() {
        PollSubscription p = pending.get();
        if (p != null) {
            p.fire();
        }
        pollers.forEach(PollSubscription::fire);
    }

    /** Pending poll subscriptions of this file (for tests): 0 or 1, plus parked pollers. */
    int pollSubscriptionCount() {
        PollSubscription p = pending.get();
        return (p == null || p.isDone() ? 0 : 1) + pollers.size();
    }

    @Override
    public void setStatusFlags(int newFlags) {
        if (closed) {
            throw new KernelException(Errno.EBADF, "fcntl F_SETFL " + device.name() + ": file is closed");
        }
        // Computed from the open flags, not read-modify-write: concurrent calls cannot mix bits.
        flags = (openFlags & ~SETFL_MASK) | (newFlags & SETFL_MASK);
    }

    @Override
    @SuppressWarnings("unchecked")
    public void fsync() {
        enter("fsync");
        try {
            device.ops.fsync(data, this);
        } catch (Throwable e) {
            throw device.fault(e, "fsync");
        } finally {
            exit();
        }
    }

    @Override
    public void close() {
        closed = true;
        // After closed is set: a poll that got past enter() is swept here, a later one is refused there.
        PollSubscription p = pending.getAndSet(null);
        if (p != null) {
            p.cancel();
        }
        pollers.forEach(PollSubscription::fire); // parked pollers wake and see EBADF
        dropOpenReference();
    }

    @Override
    public String toString() {
        return "file on " + device;
    }
}
