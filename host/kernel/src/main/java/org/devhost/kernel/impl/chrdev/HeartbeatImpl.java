package org.devhost.kernel.impl.chrdev;

import org.devhost.kernel.Errno;
import org.devhost.kernel.Heartbeat;
import org.devhost.kernel.KernelException;

/**
 * One module's {@link Heartbeat}: a registration of its module (closed with it, as its devices
 * are) that sits in the device table's set of heartbeats while it is open, where the supervisor's
 * watchdog reads it.
 *
 * <p>Thread-safe: {@code last} is written by {@link #beat()} on any thread (one volatile store)
 * and read by the watchdog; {@code closed} is set once.
 */
public final class HeartbeatImpl implements Heartbeat, Registration {
    private final ModuleContext module;
    private final long periodMillis;
    private volatile long last = System.nanoTime();
    private volatile boolean closed;

    private HeartbeatImpl(ModuleContext module, long periodMillis) {
        this.module = module;
        this.periodMillis = periodMillis;
    }

    public static HeartbeatImpl start(ModuleContext module, long periodMillis) {
        if (periodMillis < 1) {
            throw new KernelException(Errno.EINVAL, "heartbeat of module " + module.name() + ": period " + periodMillis
                    + " ms; give 1 ms or more");
        }
        HeartbeatImpl h = new HeartbeatImpl(module, periodMillis);
        module.own(h); // ENODEV when the module is unloading, before the watchdog can see it
        module.table().heartbeats.add(h);
        return h;
    }

    public String module() {
        return module.name();
    }

    @Override
    public long periodMillis() {
        return periodMillis;
    }

    @Override
    public void beat() {
        last = System.nanoTime();
    }

    /** Milliseconds since the last beat (or the start) when the period has run out at {@code nowNanos}, else -1. */
    public long overdueMillis(long nowNanos) {
        long since = (nowNanos - last) / 1_000_000L;
        return !closed && since > periodMillis ? since : -1;
    }

    /** A heartbeat has no device to revoke. */
    @Override
    public void beginRevoke() {}

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            module.table().heartbeats.remove(this);
            module.disown(this);
        }
    }

    /** Starts the period again (after the supervisor has handled a missed one). */
    public void reset(long nowNanos) {
        last = nowNanos;
    }

    @Override
    public String toString() {
        return "heartbeat of " + module.name() + " every " + periodMillis + " ms";
    }
}
