package org.devhost.devfs;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.devhost.hal.FuseChannel;
import org.devhost.hal.FuseQueue;
import org.devhost.kernel.KernelException;
import org.osgi.service.log.Logger;

/**
 * FUSE over io_uring: one queue per CPU ({@link FuseQueue}), each served by one thread at a time,
 * the queue's <em>owner</em>, which takes a request, runs it as the {@code /dev/fuse} threads do
 * ({@link FuseServer#serveEntry}) and commits the reply together with the wait for the next.
 *
 * <p>Blocking: a request runs on its owner's thread, so a driver that blocks (a reader on an empty
 * pipe) holds it; once a request has run {@link #HANDOFF_NANOS}, the watcher hands the queue to
 * another thread (a spare, or a new one), and the old owner becomes a spare when the driver returns
 * it. And since a blocked request also holds its entry, a queue whose free entries fall to {@link
 * #LOW_ENTRIES} gets {@link #DEPTH} more (up to its capacity, the server's bound of requests in
 * drivers): the next request of that CPU never waits behind blocked ones.
 *
 * <p>Invariant: the kernel ties an entry's wait to the thread that submitted it and ends it when
 * that thread exits; so every thread that ever commits (owners, spares, the server's watch thread
 * that answers for stuck drivers) lives until {@link #stop}. Spares park; they cost a stack each,
 * at most one per request that blocked at once.
 */
final class Rings {
    /** Entries each queue registers first (libfuse's default depth too). */
    static final int DEPTH = 8;
    /** A queue with this few entries free gets {@link #DEPTH} more. */
    private static final int LOW_ENTRIES = 2;
    /** How long a request may hold its queue's thread before another thread takes the queue. */
    static final long HANDOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** How long the watcher keeps looking after the last request before it sleeps until the next. */
    private static final long WATCH_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long TAKING = Long.MIN_VALUE;

    private final FuseServer server;
    private final Logger log;
    private final boolean pin;
    private final List<Queue> queues = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    final LongAdder requests = new LongAdder();
    final LongAdder handoffs = new LongAdder();
    private volatile Thread watcher;
    private volatile boolean watcherAsleep;
    private volatile boolean stopping;
    private volatile String state = "";

    /** A queue and who serves it. */
    private final class Queue {
        final FuseQueue queue;
        /** {@link #TAKING} while the owner waits for a request; else when its request began. */
        final AtomicLong serving = new AtomicLong(TAKING);
        /** Entries taken and not yet committed (by their thread or for a stuck driver). */
        final AtomicInteger held = new AtomicInteger();
        final ConcurrentLinkedDeque<Spare> spares = new ConcurrentLinkedDeque<>();

        Queue(FuseQueue queue) {
            this.queue = queue;
        }
    }

    /** A parked thread of a queue, waiting to be its owner again. */
    private static final class Spare {
        final Thread thread = Thread.currentThread();
        volatile boolean handed;
    }

    private Rings(FuseServer server, Logger log, boolean pin) {
        this.server = server;
        this.log = log;
        this.pin = pin;
    }

    /**
     * Makes one queue per possible CPU (before the INIT reply that accepts the ring).
     * @return null, with the reason logged, when the HAL or the system cannot
     */
    static Rings open(FuseChannel channel, FuseServer server, Logger log, boolean pin, int capacity, int payload) {
        if (!channel.hasQueues()) {
            log.info("devfs: requests come through /dev/fuse: this HAL backend has no io_uring");
            System.out.println("devhost: devfs requests come through /dev/fuse: this HAL backend has no io_uring");
            return null;
        }
        int cpus = possibleCpus();
        Rings rings = new Rings(server, log, pin);
        try {
            for (int q = 0; q < cpus; q++) {
                rings.queues.add(rings.new Queue(channel.queue(q, capacity, payload)));
            }
        } catch (KernelException e) {
            rings.queues.forEach(q -> q.queue.close());
            log.warn("devfs: requests come through /dev/fuse: FUSE over io_uring is offered but its rings cannot be made: {}",
                    e.getMessage());
            System.out.println("devhost: devfs requests come through /dev/fuse: the io_uring queues cannot be made: " + e.getMessage());
            return null;
        }
        return rings;
    }

    /** The kernel's number of queues: its possible CPUs ({@code num_possible_cpus()}). */
    static int possibleCpus() {
        try {
            int n = 0;
            for (String range : Files.readString(Path.of("/sys/devices/system/cpu/possible")).trim().split(",")) {
                String[] ends = range.split("-");
                n += ends.length == 1 ? 1 : Integer.parseInt(ends[1]) - Integer.parseInt(ends[0]) + 1;
            }
            return n;
        } catch (java.io.IOException | RuntimeException e) {
            return Runtime.getRuntime().availableProcessors();
        }
    }

    /** After the INIT reply: each queue's first owner registers its entries and serves. */
    void start() {
        state = "io_uring, " + queues.size() + " queues of " + DEPTH + " entries" + (pin ? ", threads pinned" : "");
        for (Queue q : queues) {
            startOwner(q, true);
        }
        Thread w = new Thread(this::watch, "devfs-ring-watch");
        w.setDaemon(true);
        watcher = w;
        w.start();
        log.info("devfs: requests come through {}", state);
        System.out.println("devhost: devfs requests come through " + state + " (dev:mounts)");
    }

    /** An entry of queue {@code id} was committed: no longer held. */
    void committed(int id) {
        queues.get(id).held.decrementAndGet();
    }

    /** What serves, for dev:mounts. */
    String state() {
        return state;
    }

    int depth() {
        return queues.stream().mapToInt(q -> q.queue.depth()).sum();
    }

    private void startOwner(Queue q, boolean first) {
        Thread t = new Thread(() -> own(q, first), "devfs-ring-" + q.queue.id());
        t.setDaemon(true);
        synchronized (threads) {
            threads.add(t);
        }
        t.start();
    }

    /** A thread's life: owner of {@code q} while it serves, spare while another does; ends at stop. */
    private void own(Queue q, boolean first) {
        if (pin) {
            q.queue.pin();
        }
        ByteBuffer buf = FuseServer.threadBuffer();
        Requests.Worker worker = new Requests.Worker();
        try {
            if (first) {
                q.queue.grow(DEPTH);
            }
            int entry = q.queue.take();
            while (!stopping) {
                requests.increment();
                if (q.held.incrementAndGet() >= q.queue.depth() - LOW_ENTRIES) {
                    int before = q.queue.depth();
                    q.queue.grow(DEPTH);
                    log.info("devfs: FUSE queue {} had {} of its {} entries held by requests; it has {} now", q.queue.id(),
                            q.held.get(), before, q.queue.depth());
                }
                long began = System.nanoTime();
                q.serving.set(began);
                if (watcherAsleep) {
                    LockSupport.unpark(watcher);
                }
                worker.owner = true;
                worker.toCommit = -1;
                server.serveEntry(q.queue, entry, buf, worker);
                int reply = worker.toCommit;
                worker.owner = false;
                if (reply >= 0) {
                    q.held.decrementAndGet();
                }
                if (q.serving.compareAndSet(began, TAKING)) {
                    entry = reply >= 0 ? q.queue.commitAndTake(reply) : q.queue.take();
                    continue;
                }
                if (reply >= 0) {
                    q.queue.commit(reply); // handed over meanwhile: the new owner takes
                }
                if (!spare(q)) {
                    return; // stopped while spare
                }
                entry = q.queue.take();
            }
        } catch (KernelException e) {
            if (!stopping) {
                // before every queue had its entries the kernel goes back to /dev/fuse; after, this CPU's requests wait
                state = "io_uring, but queue " + q.queue.id() + " ended: " + e.getMessage();
                log.error("devfs: FUSE queue {} stops: {}", q.queue.id(), e.getMessage());
            }
        }
    }

    /** Waits as a spare until handed the queue again: true, or stopping: false. */
    private boolean spare(Queue q) {
        Spare me = new Spare();
        q.spares.push(me);
        while (!me.handed) {
            if (stopping) {
                return false;
            }
            LockSupport.park(this);
        }
        return true;
    }

    /** Gives {@code q} to a spare, or to a new thread. */
    private void handOff(Queue q) {
        handoffs.increment();
        Spare s = q.spares.poll();
        if (s != null) {
            s.handed = true;
            LockSupport.unpark(s.thread);
        } else {
            startOwner(q, false);
        }
    }

    private void watch() {
        long lastBusy = System.nanoTime();
        while (!stopping) {
            long now = System.nanoTime();
            boolean busy = false;
            for (Queue q : queues) {
                long began = q.serving.get();
                if (began != TAKING) {
                    busy = true;
                    if (now - began > HANDOFF_NANOS && q.serving.compareAndSet(began, TAKING)) {
                        handOff(q);
                    }
                }
            }
            if (busy) {
                lastBusy = now;
            }
            if (now - lastBusy > WATCH_NANOS) {
                watcherAsleep = true;
                if (queues.stream().allMatch(q -> q.serving.get() == TAKING)) {
                    LockSupport.park(this);
                }
                watcherAsleep = false;
                lastBusy = System.nanoTime();
            } else {
                LockSupport.parkNanos(this, HANDOFF_NANOS / 2);
            }
        }
    }

    /** After the connection ended (its takes fail): wakes the spares and the watcher, closes the queues. */
    void stop(long deadline) {
        stopping = true;
        for (Queue q : queues) {
            q.spares.forEach(s -> LockSupport.unpark(s.thread));
        }
        Thread w = watcher;
        if (w != null) {
            LockSupport.unpark(w);
        }
        List<Thread> all;
        synchronized (threads) {
            all = new ArrayList<>(threads);
        }
        FuseServer.joinAll(all, deadline);
        queues.forEach(q -> q.queue.close());
    }
}
