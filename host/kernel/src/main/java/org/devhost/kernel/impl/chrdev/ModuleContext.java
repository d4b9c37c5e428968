package org.devhost.kernel.impl.chrdev;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.WeakHashMap;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.impl.wait.WaitQueueImpl;

/**
 * What the kernel knows of one module (one bundle using the registry): the registrations it owns,
 * the files it opened, and its wait queues.
 *
 * <p>Invariant: once {@link #release()} has run, {@code released} is true, the module owns nothing
 * and every further registration attempt fails with ENODEV. Guarded by {@code this}; {@link
 * #release()} closes things outside the lock so that revocation never runs under it.
 */
public final class ModuleContext {
    private final String name;
    private final DeviceTable table;
    private final Set<Registration> registrations = new LinkedHashSet<>();
    private final Set<OpenFileImpl> openedFiles = new LinkedHashSet<>();
    private final Set<WaitQueueImpl> queues = Collections.newSetFromMap(new WeakHashMap<>());
    private boolean released;
    /** Users of this context (a bundle's registry, its whiteboard devices); guarded by {@code this}. */
    private int users;
    /** Devices of this module whose revocation wait ran out and whose operations have not all returned. */
    private int stuckDevices;
    /** The deadline of the first wait that ran out while {@code stuckDevices > 0}: later waits share it. */
    private long stuckDeadlineNanos;

    public ModuleContext(String name, DeviceTable table) {
        this.name = name;
        this.table = table;
    }

    public String name() {
        return name;
    }

    /** One more user (a bundle's registry, or its whiteboard device, attached it). */
    public synchronized void retain() {
        users++;
    }

    /** One user less; true when it was the last. */
    public synchronized boolean unretain() {
        return --users == 0;
    }

    public synchronized boolean isReleased() {
        return released;
    }

    public DeviceTable table() {
        return table;
    }

    /** Records a new registration; fails when the module is already gone. */
    synchronized void own(Registration registration) {
        if (released) {
            throw new KernelException(Errno.ENODEV, "register in module " + name + ": the module is unloading");
        }
        registrations.add(registration);
    }

    synchronized void disown(Registration registration) {
        registrations.remove(registration);
    }

    synchronized void opened(OpenFileImpl file) {
        if (released) {
            file.close();
            throw new KernelException(Errno.ENODEV, "open " + file.deviceName() + " from module " + name
                    + ": the module is unloading");
        }
        openedFiles.add(file);
    }

    synchronized void closed(OpenFileImpl file) {
        openedFiles.remove(file);
    }

    public WaitQueueImpl newWaitQueue(java.util.concurrent.locks.Lock lock) {
        WaitQueueImpl q = new WaitQueueImpl(lock);
        synchronized (this) {
            queues.add(q);
        }
        return q;
    }

    /** Wakes every waiter of this module so each re-checks its condition and its file's revocation. */
    void wakeAllQueues() {
        List<WaitQueueImpl> snapshot;
        synchronized (this) {
            snapshot = new ArrayList<>(queues);
        }
        for (WaitQueueImpl q : snapshot) {
            q.wakeAll();
        }
    }

    /**
     * The deadline of a revocation wait starting now. While an operation of this module is stuck
     * past an earlier deadline (it has not returned yet), every later wait shares that deadline, so
     * N stuck devices of a module cost one timeout in all, not N: the driver has shown it does not
     * return, and waiting again for each of its devices would only hold up the unload. Once the
     * stuck operations have returned, waits get their own bound again.
     */
    synchronized long revokeDeadline(long timeoutMillis) {
        return stuckDevices > 0 ? stuckDeadlineNanos : System.nanoTime() + timeoutMillis * 1_000_000L;
    }

    /** Whether an operation of this module is stuck past a revocation deadline now. */
    synchronized boolean revocationStuck() {
        return stuckDevices > 0;
    }

    /** A device's revocation wait with this deadline ran out: later waits share the deadline. */
    synchronized void revocationTimedOut(long deadlineNanos) {
        if (stuckDevices++ == 0) {
            stuckDeadlineNanos = deadlineNanos;
        }
    }

    /** The last operation of a device that was stuck has returned. */
    synchronized void stuckDeviceReturned() {
        if (stuckDevices > 0) {
            stuckDevices--;
        }
    }

    public synchronized int registrationCount() {
        return registrations.size();
    }

    /**
     * The module is going away: close the files it opened and every registration it still holds,
     * newest first (the reverse of init, as Rust drops fields), whatever its own exit code did.
     */
    public void release() {
        closeEverything(true, "releasing");
    }

    /**
     * The module's init failed and nothing of it is running: close what the failed init left
     * registered, but stay usable, because the component framework may retry the init with this
     * same registry instance.
     *
     * @return how many registrations were closed
     */
    public int reapAfterFailedInit() {
        return closeEverything(false, "init failed; releasing");
    }

    private int closeEverything(boolean forever, String why) {
        List<Registration> regs;
        List<OpenFileImpl> files;
        synchronized (this) {
            if (released) {
                return 0;
            }
            released = forever;
            regs = new ArrayList<>(registrations);
            files = new ArrayList<>(openedFiles);
        }
        for (OpenFileImpl f : files) {
            f.close();
        }
        Collections.reverse(regs);
        if (!regs.isEmpty()) {
            log("INFO", why + " " + regs.size() + " registration(s) left open by the module", null);
        }
        // Revoke every device first, so that each bounded wait below overlaps the others.
        regs.forEach(Registration::beginRevoke);
        for (Registration r : regs) {
            try {
                r.close();
            } catch (Throwable e) {
                log("ERROR", "releasing " + r + " failed: " + e, e);
            }
        }
        wakeAllQueues();
        return regs.size();
    }

    public void log(String level, String message, Throwable error) {
        table.listener().log(level, name, message, error);
    }

    @Override
    public String toString() {
        return "module " + name;
    }
}
