package org.devhost.kernel.impl.chrdev;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.devhost.kernel.Device;
import org.devhost.kernel.DeviceNumber;
import org.devhost.kernel.DeviceType;
import org.devhost.kernel.Errno;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.Operation;

/**
 * One registered device: its number, its driver's operations, and the revocable link between the
 * two that open files go through.
 *
 * <p>Invariants: {@code refs} counts opens in progress plus files not yet released; once {@code
 * revoked} is set it never clears, no new reference is taken, and {@code refs} only falls. {@link
 * #revoke} returns when {@code refs} is 0 or its bounded wait ran out. Thread-safe without locks on
 * the I/O path.
 */
public final class CharDevice implements Device {
    private final String name;
    private final DeviceNumber number;
    private final DeviceType type;
    private final ModuleContext module;
    private final int mode;
    @SuppressWarnings("rawtypes")
    public final FileOperations ops;
    private final Set<Operation> operations;

    private final AtomicInteger refs = new AtomicInteger();
    private volatile boolean revoked;
    private final Set<OpenFileImpl> files = ConcurrentHashMap.newKeySet();
    /** A revocation wait ran out with operations still in the driver; guarded by {@code this}. */
    private boolean timedOut;

    CharDevice(String name, DeviceNumber number, DeviceType type, int mode, ModuleContext module, FileOperations<?> ops) {
        this.name = name;
        this.number = number;
        this.type = type;
        this.mode = mode;
        this.module = module;
        this.ops = ops;
        this.operations = OperationTable.of(ops);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public DeviceNumber number() {
        return number;
    }

    @Override
    public DeviceType type() {
        return type;
    }

    @Override
    public String module() {
        return module.name();
    }

    @Override
    public Set<Operation> operations() {
        return operations;
    }

    @Override
    public int mode() {
        return mode;
    }

    @Override
    public int openCount() {
        return files.size();
    }

    /** The files open on this device now (for the watchdog: a snapshot view, weakly consistent). */
    public Set<OpenFileImpl> files() {
        return files;
    }

    ModuleContext moduleContext() {
        return module;
    }

    boolean isRevoked() {
        return revoked;
    }

    /** Opens a file on this device: the driver's open runs on the calling thread. */
    @SuppressWarnings("unchecked")
    public OpenFileImpl open(int flags, ModuleContext opener) {
        if (!tryRef()) {
            throw gone("open");
        }
        OpenFileImpl file = new OpenFileImpl(this, flags, opener);
        Object data;
        try {
            data = ops.open(file);
        } catch (Throwable e) {
            unref(); // whatever the driver threw, the open's reference goes, or unload would wait for it
            throw fault(e, "open");
        }
        file.attach(data);
        files.add(file);
        // Revocation may have swept the file set before the add above: re-check after publishing,
        // so that either the sweep or this line drops the file, never neither.
        if (revoked) {
            file.dropOpenReference();
            throw gone("open");
        }
        opener.opened(file);
        return file;
    }

    /** Called by a file once its release ran: the file stops counting against the device. */
    void fileReleased(OpenFileImpl file) {
        files.remove(file);
        unref();
    }

    private boolean tryRef() {
        if (revoked) {
            return false;
        }
        refs.incrementAndGet();
        if (revoked) {
            unref();
            return false;
        }
        return true;
    }

    private void unref() {
        if (refs.decrementAndGet() == 0 && revoked) {
            boolean wasStuck;
            synchronized (this) {
                notifyAll();
                wasStuck = timedOut;
                timedOut = false;
            }
            if (wasStuck) {
                module.stuckDeviceReturned(); // its last operation came back after the deadline
            }
        }
    }

    /**
     * Starts taking the device away from its driver, in Linux's order for a forced unload; {@link
     * #awaitReleased} then waits for the rest. Split in two so that a caller removing several
     * devices revokes them all before waiting for any (a blocked reader on one device must not
     * wait for a slow read on another). Idempotent.
     */
    void beginRevoke() {
        // 1. New opens and new operations fail with ENODEV from here on.
        revoked = true;
        // 2. Callers blocked in a kernel wait wake up, see the revocation and leave with ENODEV.
        //    This must come before waiting for in-flight operations: a blocked caller is one.
        module.wakeAllQueues();
        //    Poll subscribers too, also those whose driver registered a queue of another module.
        for (OpenFileImpl f : files) {
            f.revoked();
        }
        // 3. The users' references go; release runs for each file once its last operation ends.
        for (OpenFileImpl f : files) {
            f.dropOpenReference();
        }
    }

    /**
     * 4. Waits until operations in flight have finished and every file is released, or the
     * deadline ({@link System#nanoTime()}) passes.
     *
     * @return true when every file was released; false when some operation was still running in
     *     the driver at the deadline (its file releases when it returns)
     */
    boolean awaitReleased(long deadlineNanos) {
        // Not ended by an interrupt (a Ctrl-C on dev:rmmod): the bound is what protects the numbers
        // from reuse under a running operation, so the wait runs to it, and the interrupt is kept.
        boolean interrupted = false;
        try {
            synchronized (this) {
                while (refs.get() > 0) {
                    long left = deadlineNanos - System.nanoTime();
                    if (left <= 0) {
                        // Both under this lock, so the operation's return (unref) sees the mark
                        // and takes it back: the module is stuck exactly while it runs.
                        module.revocationTimedOut(deadlineNanos);
                        timedOut = true;
                        return false;
                    }
                    try {
                        TimeUnit.NANOSECONDS.timedWait(this, left);
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            }
            return true;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    KernelException gone(String what) {
        return new KernelException(Errno.ENODEV, what + " " + name + " (" + number + "): its driver "
                + module.name() + " is going away");
    }

    /**
     * Turns what a driver threw into what the caller gets. Every Throwable from driver code is a
     * driver fault: its own KernelException passes as it is; anything else (a bug: a
     * RuntimeException, an AssertionError, a StackOverflowError, a NoClassDefFoundError, a checked
     * exception thrown sneakily) is logged under the driver's name with the operation, and the
     * caller gets EIO. A VirtualMachineError other than StackOverflowError (OutOfMemoryError,
     * InternalError) is the JVM's, not the driver's: it is logged and thrown on, and the host's
     * {@code -XX:+ExitOnOutOfMemoryError} decides (the JVM's state can no longer be trusted).
     * The caller releases the operation's references in its finally block, after this returns.
     */
    KernelException fault(Throwable e, String operation) {
        if (e instanceof KernelException ke) {
            return ke;
        }
        module.log("ERROR", operation + " on " + name + " threw " + e + "; the caller gets EIO", e);
        module.table().listener().driverFault(module.name(), operation, e);
        if (e instanceof VirtualMachineError vme && !(e instanceof StackOverflowError)) {
            throw vme;
        }
        return new KernelException(Errno.EIO, operation + " " + name + ": driver " + module.name()
                + " failed (" + e.getClass().getSimpleName() + ")", e);
    }

    @Override
    public String toString() {
        return name + " " + number;
    }
}
