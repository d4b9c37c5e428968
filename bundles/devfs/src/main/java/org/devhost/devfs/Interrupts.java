package org.devhost.devfs;

import java.lang.invoke.VarHandle;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * FUSE_INTERRUPT: a client blocked in a request got a signal, so the kernel names the request's
 * unique id and waits for its reply. devfs interrupts the server thread running that request; a
 * kernel wait in the driver then ends with EINTR, which is the reply. A client is never left
 * waiting on a request the server forgot.
 *
 * <p>The interrupt may arrive on another server thread before the request's own thread has
 * started it: then it is kept ({@code early}, bounded) and taken when the request starts. A thread
 * is interrupted only while it runs the named request ({@link Worker#unique} checked under the
 * worker's lock, and cleared under it with the thread's interrupt status when the request ends),
 * so a late interrupt never hits the next request. Thread-safe.
 */
final class Interrupts {
    /** A server thread and the request it runs (0 when none). */
    static final class Worker {
        final Thread thread = Thread.currentThread();
        long unique;
        /** The thread's buffer for reads above the reply area; made on first use (FuseServer). */
        java.nio.ByteBuffer large;
    }

    private static final int EARLY_LIMIT = 1024;

    private final Map<Long, Worker> running = new ConcurrentHashMap<>();
    /** Entries in {@code early}: lets {@link #begin} skip its lock when, as almost always, there are none. */
    private volatile int earlyCount;
    private final Map<Long, Boolean> early = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Boolean> eldest) {
            return size() > EARLY_LIMIT; // interrupts of requests that ended without waiting
        }
    };

    /** The worker starts request {@code unique}; an interrupt that came first applies now. */
    void begin(Worker w, long unique) {
        synchronized (w) {
            w.unique = unique;
        }
        running.put(unique, w);
        VarHandle.fullFence(); // pairs with the fence in interrupt(): one of the two sees the other
        boolean pending = false;
        if (earlyCount > 0) {
            synchronized (early) {
                pending = early.remove(unique) != null;
                earlyCount = early.size();
            }
        }
        if (pending) {
            interruptIfRunning(w, unique);
        }
    }

    /** The request ended: its interrupt, if any, is spent. */
    void end(Worker w, long unique) {
        running.remove(unique);
        synchronized (w) {
            w.unique = 0;
            Thread.interrupted();
        }
    }

    /** @return true when a thread running the request was interrupted */
    boolean interrupt(long unique) {
        Worker w = running.get(unique);
        if (w != null && interruptIfRunning(w, unique)) {
            return true;
        }
        synchronized (early) {
            early.put(unique, Boolean.TRUE);
            earlyCount = early.size();
        }
        // the request may have started between the lookup and the put
        VarHandle.fullFence();
        w = running.get(unique);
        if (w != null) {
            synchronized (early) {
                boolean taken = early.remove(unique) == null;
                earlyCount = early.size();
                if (taken) {
                    return true; // begin took it
                }
            }
            return interruptIfRunning(w, unique);
        }
        return false;
    }

    private static boolean interruptIfRunning(Worker w, long unique) {
        synchronized (w) {
            if (w.unique == unique) {
                w.thread.interrupt();
                return true;
            }
            return false;
        }
    }
}
