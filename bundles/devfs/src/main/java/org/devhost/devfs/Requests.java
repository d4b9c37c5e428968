package org.devhost.devfs;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.devhost.kernel.OpenFile;

/**
 * The requests running in driver code, by the kernel's unique id, and the rule that each gets
 * exactly one reply whoever sends it: the server thread running it when the driver returns, or
 * the watch thread on its behalf when the driver does not return in time ({@link #overdue}).
 *
 * <p>Why: once devfs has read a request, its client waits in the kernel's {@code
 * request_wait_answer} until a reply comes, and after a fatal signal that wait is
 * uninterruptible (state D): only the reply ends it. A driver that spins, or sleeps swallowing
 * interrupts, would keep the client unkillable for as long as it holds the thread. So a request
 * whose client was interrupted (FUSE_INTERRUPT) and that is still in the driver a grace later is
 * answered EINTR for it, and one whose file was revoked, ENODEV. The grace is the time the driver
 * has to answer for itself: a kernel wait ends within microseconds of an interrupt or a
 * revocation, so only code that ignores both is answered for. The driver's late return then finds
 * its request taken ({@link Request#claim} fails) and sends nothing: the kernel finished that
 * request with the first reply, and its unique is no longer devfs's to answer.
 *
 * <p>Interrupts: FUSE_INTERRUPT interrupts the thread running the request, so a kernel wait in
 * the driver ends with EINTR at once, which is its reply; the grace is only for code that ignores
 * it. The interrupt may arrive on another server thread before the request's own thread has
 * started it: it is then kept ({@code early}, bounded) and taken when the request starts. A thread
 * is interrupted only while it runs the named request, still unanswered ({@link Worker#current}
 * checked under the worker's lock, and cleared under it with the thread's interrupt status when
 * the request ends), so a late interrupt never hits the next request. Thread-safe.
 */
final class Requests {
    /** A server thread: the request it runs (null between requests; guarded by the worker) and its buffer for large reads. */
    static final class Worker {
        final Thread thread = Thread.currentThread();
        Request current;
        /** The thread's buffer for reads above the reply area; made on first use (FuseServer). */
        ByteBuffer large;
        /** The io_uring queue and entry of the request the thread serves; null when it came through {@code /dev/fuse}. */
        org.devhost.hal.FuseQueue queue;
        int entry;
        /** A ring queue's owner commits its replies itself, with its next take ({@link #toCommit}). */
        boolean owner;
        /** The entry whose reply the owner has to commit; -1 when none. */
        int toCommit = -1;
    }

    /**
     * One request in driver code. {@code state} moves once, from RUNNING to one of the others, by
     * compare-and-set: whoever moves it sends the one reply.
     */
    static final class Request {
        private static final int RUNNING = 0;
        /** Its own thread replied (or will, having claimed it). */
        private static final int ANSWERED = 1;
        /** Answered for it; its thread stays in the server's pool when the driver returns it. */
        private static final int TAKEN = 2;
        /** Answered for it; its thread is out of the pool's counts and ends when the driver returns it. */
        private static final int ABANDONED = 3;

        final long unique;
        final Worker worker;
        /** The node the request names (its device's file), for revocation. */
        final long nodeid;
        /** The client's user id, whose count of requests in drivers this one is in. */
        final int uid;
        /** The open file it runs on; null for OPEN, which has none yet. */
        final OpenFile file;
        final String what;
        /** Where its reply goes: the io_uring queue and entry it came in (null: {@code /dev/fuse}). */
        final org.devhost.hal.FuseQueue queue;
        final int entry;
        final long startedNanos = System.nanoTime();
        /** When FUSE_INTERRUPT named it ({@link System#nanoTime}); meaningful once {@code interrupted}. */
        private volatile long interruptedNanos;
        private volatile boolean interrupted;
        /** When a sweep first saw its file revoked (0: not yet); read and written by the sweeping thread only. */
        private long revokedSeenNanos;
        /** RUNNING until the one claim; a field, not an AtomicInteger, so a request costs one object. */
        private volatile int state = RUNNING;
        private static final VarHandle STATE;
        static {
            try {
                STATE = java.lang.invoke.MethodHandles.lookup().findVarHandle(Request.class, "state", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        Request(long unique, Worker worker, long nodeid, int uid, OpenFile file, String what) {
            this.unique = unique;
            this.worker = worker;
            this.nodeid = nodeid;
            this.uid = uid;
            this.file = file;
            this.what = what;
            this.queue = worker.queue;
            this.entry = worker.entry;
        }

        /** Its own thread's claim to the reply: false when it was answered for it meanwhile (send nothing). */
        boolean claim() {
            return STATE.compareAndSet(this, RUNNING, ANSWERED);
        }

        /** The watch thread's claim: true when it is to answer; {@code replace} says what becomes of the thread. */
        boolean takeOver(boolean replace) {
            return STATE.compareAndSet(this, RUNNING, replace ? ABANDONED : TAKEN);
        }

        boolean running() {
            return state == RUNNING;
        }

        /** Answered for it, and its thread given up by the pool: it leaves once the driver returns it. */
        boolean abandoned() {
            return state == ABANDONED;
        }

        boolean interrupted() {
            return interrupted;
        }

        private void markInterrupted() {
            if (!interrupted) {
                interruptedNanos = System.nanoTime();
                interrupted = true;
            }
        }
    }

    /** A request to answer for its driver: the errno to answer with, and why. */
    record Overdue(Request request, int errno, String why) {}

    private static final int EARLY_LIMIT = 1024;

    private final Map<Long, Request> running = new ConcurrentHashMap<>();
    /** Entries in {@code early}: lets {@link #begin} skip its lock when, as almost always, there are none. */
    private volatile int earlyCount;
    private final Map<Long, Boolean> early = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Boolean> eldest) {
            return size() > EARLY_LIMIT; // interrupts of requests that ended without waiting
        }
    };

    /**
     * The worker starts request {@code unique} in driver code; an interrupt that came first
     * applies now. Called on the worker's own thread; {@link #end} must follow.
     */
    Request begin(Worker w, long unique, long nodeid, int uid, OpenFile file, String what) {
        Request r = new Request(unique, w, nodeid, uid, file, what);
        synchronized (w) {
            w.current = r;
        }
        running.put(unique, r);
        VarHandle.fullFence(); // pairs with the fence in interrupt(): one of the two sees the other
        boolean pending = false;
        if (earlyCount > 0) {
            synchronized (early) {
                pending = early.remove(unique) != null;
                earlyCount = early.size();
            }
        }
        if (pending) {
            interruptIfRunning(r);
        }
        return r;
    }

    /**
     * The request's thread is back from the driver, its reply sent or dropped: its interrupt, if
     * any, is spent. Called on the worker's own thread. Removes only this request: an answered
     * one was removed already, and its unique may name a newer request now.
     */
    void end(Request r) {
        running.remove(r.unique, r);
        synchronized (r.worker) {
            r.worker.current = null;
            Thread.interrupted();
        }
    }

    /** FUSE_INTERRUPT for {@code unique}: @return true when a thread running the request was interrupted */
    boolean interrupt(long unique) {
        Request r = live(unique);
        if (r != null && interruptIfRunning(r)) {
            return true;
        }
        synchronized (early) {
            early.put(unique, Boolean.TRUE);
            earlyCount = early.size();
        }
        // the request may have started between the lookup and the put
        VarHandle.fullFence();
        r = live(unique);
        if (r != null) {
            synchronized (early) {
                boolean taken = early.remove(unique) == null;
                earlyCount = early.size();
                if (taken) {
                    return true; // begin took it
                }
            }
            return interruptIfRunning(r);
        }
        return false;
    }

    /** The unanswered request {@code unique}, or null. */
    private Request live(long unique) {
        Request r = running.get(unique);
        return r != null && r.running() ? r : null;
    }

    private static boolean interruptIfRunning(Request r) {
        synchronized (r.worker) {
            if (r.worker.current == r && r.running()) {
                r.markInterrupted();
                r.worker.thread.interrupt();
                return true;
            }
            return false;
        }
    }

    /**
     * The requests to answer for their drivers now (the watch thread's sweep, one at a time): each
     * interrupted at least {@code graceNanos} ago and still in the driver gets EINTR; each whose
     * file {@code revoked} says is gone, seen so by a sweep at least {@code graceNanos} ago, gets
     * ENODEV. The caller takes each over ({@link Request#takeOver}) and answers it; one it fails
     * to take was answered by its thread meanwhile.
     */
    List<Overdue> overdue(long nowNanos, long graceNanos, Predicate<Request> revoked) {
        List<Overdue> due = new ArrayList<>();
        for (Request r : running.values()) {
            if (!r.running()) {
                continue;
            }
            if (revoked.test(r)) {
                if (r.revokedSeenNanos == 0) {
                    r.revokedSeenNanos = nowNanos | 1; // never 0, which means not seen
                }
                if (nowNanos - r.revokedSeenNanos >= graceNanos) {
                    due.add(new Overdue(r, Fuse.ENODEV, "its device was revoked "
                            + (nowNanos - r.revokedSeenNanos) / 1_000_000 + " ms ago"));
                }
            } else if (r.interrupted && nowNanos - r.interruptedNanos >= graceNanos) {
                due.add(new Overdue(r, Fuse.EINTR, "its client was interrupted "
                        + (nowNanos - r.interruptedNanos) / 1_000_000 + " ms ago"));
            }
        }
        return due;
    }

    /** An answered request leaves the table at once: its unique is the kernel's again. */
    void answered(Request r) {
        running.remove(r.unique, r);
    }

    /** Requests in driver code now, answered or not (for dev:mounts and tests). */
    int size() {
        return running.size();
    }
}
