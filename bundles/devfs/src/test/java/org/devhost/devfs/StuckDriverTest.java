package org.devhost.devfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.devhost.hal.FuseChannel;
import org.devhost.kernel.Device;
import org.devhost.kernel.DeviceNumber;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.DeviceType;
import org.devhost.kernel.Errno;
import org.devhost.kernel.File;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.Operation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.osgi.service.log.Logger;

/**
 * A running server (its pool and watch thread) over a channel the test feeds, with a driver whose
 * open and read never return until the test lets them, swallowing every interrupt: each request
 * still gets exactly one reply (EINTR after its client's interrupt and the grace, ENODEV when its
 * file is revoked), the driver's late return sends nothing, and the pool keeps serving.
 */
class StuckDriverTest {
    private static final long GRACE_MS = 20;

    private final BlockingQueue<ByteBuffer> incoming = new LinkedBlockingQueue<>();
    private final List<ByteBuffer> replies = new CopyOnWriteArrayList<>();
    private final List<String> logged = new CopyOnWriteArrayList<>();
    private volatile boolean unmounted;
    private final Nodes nodes = new Nodes(0, 0);
    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicInteger inTheDriver = new AtomicInteger();
    private final AtomicInteger closed = new AtomicInteger();
    private volatile boolean openHangs;
    private volatile boolean revoked;
    private FuseServer server;
    private long nodeid;

    /** The mount: receive takes what the test queued, send keeps the replies. */
    private final class Channel implements FuseChannel {
        public String mountPoint() { return "/test/devfs"; }
        public String options() { return ""; }
        public boolean viaHelper() { return false; }
        public int receive(ByteBuffer dst) {
            try {
                while (!unmounted) {
                    ByteBuffer r = incoming.poll(10, TimeUnit.MILLISECONDS);
                    if (r != null) {
                        dst.put(r.duplicate());
                        return r.remaining();
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new KernelException(Errno.ENODEV, "unmounted");
        }
        public boolean send(ByteBuffer src) {
            ByteBuffer copy = ByteBuffer.allocate(src.remaining()).order(ByteOrder.nativeOrder());
            copy.put(src.duplicate()).flip();
            replies.add(copy);
            return true;
        }
        public void close() { unmounted = true; }
    }

    /** The driver's hold: ignores interrupts until the test releases it. */
    private void hold() {
        inTheDriver.incrementAndGet();
        while (release.getCount() > 0) {
            try {
                release.await();
            } catch (InterruptedException swallowed) {
                // the bug on purpose
            }
        }
        inTheDriver.decrementAndGet();
    }

    /** The kernel's open file, and the driver's view of it (as the kernel's own implementation is both). */
    private OpenFile file() {
        return (OpenFile) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {OpenFile.class, File.class},
                (p, m, args) -> switch (m.getName()) {
                    case "read" -> {
                        hold();
                        yield 0;
                    }
                    case "isRevoked" -> revoked;
                    case "deviceName" -> "stuck";
                    case "flags" -> 0;
                    case "close" -> {
                        closed.incrementAndGet();
                        yield null;
                    }
                    case "hashCode" -> System.identityHashCode(p);
                    case "equals" -> p == args[0];
                    case "toString" -> "a stuck file";
                    default -> m.getReturnType() == boolean.class ? false : m.getReturnType().isPrimitive() ? 0 : null;
                });
    }

    private DeviceRegistry registry() {
        return (DeviceRegistry) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {DeviceRegistry.class},
                (p, m, args) -> {
                    if (m.getName().equals("open")) {
                        if (openHangs) {
                            hold();
                        }
                        return file();
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
    }

    private Logger logger() {
        return (Logger) Proxy.newProxyInstance(Logger.class.getClassLoader(), new Class<?>[] {Logger.class}, (p, m, args) -> {
            if (m.getName().equals("error") || m.getName().equals("warn")) {
                logged.add(m.getName() + " " + Arrays.deepToString(args));
            }
            return m.getReturnType() == boolean.class ? false : null;
        });
    }

    private void start(int maxAbandoned) {
        start(8, 8, maxAbandoned);
    }

    private void start(int threads, int userThreads, int maxAbandoned) {
        nodes.add(new Device() {
            public String name() { return "stuck"; }
            public DeviceNumber number() { return DeviceNumber.of(240, 0); }
            public DeviceType type() { return DeviceType.values()[0]; }
            public String module() { return "test"; }
            public Set<Operation> operations() { return Set.of(Operation.OPEN, Operation.READ); }
            public int openCount() { return 0; }
            public int mode() { return 0666; }
        });
        nodeid = nodes.lookup(Nodes.ROOT, "stuck");
        server = new FuseServer(new Channel(), nodes, registry(), logger(), threads, userThreads, GRACE_MS, maxAbandoned);
        server.start();
    }

    @AfterEach
    void stop() {
        release.countDown();
        if (server != null) {
            server.stop();
        }
    }

    // ---- requests as the kernel sends them ----

    private void queue(int opcode, long unique, long node, ByteBuffer body) {
        queue(opcode, unique, node, 0, body);
    }

    private void queue(int opcode, long unique, long node, int uid, ByteBuffer body) {
        ByteBuffer r = ByteBuffer.allocate(Fuse.IN_HEADER + body.capacity()).order(ByteOrder.nativeOrder());
        r.putInt(Fuse.IN_LEN, r.capacity()).putInt(Fuse.IN_OPCODE, opcode).putLong(Fuse.IN_UNIQUE, unique)
                .putLong(Fuse.IN_NODEID, node).putInt(Fuse.IN_UID, uid);
        r.put(Fuse.IN_HEADER, body, 0, body.capacity());
        incoming.add(r);
    }

    private static ByteBuffer body(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.nativeOrder());
    }

    private long open(long unique) {
        queue(Fuse.OPEN, unique, nodeid, body(8));
        ByteBuffer r = reply(unique);
        assertEquals(0, r.getInt(4), "open's error");
        return r.getLong(Fuse.OUT_HEADER);
    }

    private void read(long unique, long fh) {
        read(unique, fh, 0);
    }

    private void read(long unique, long fh, int uid) {
        queue(Fuse.READ, unique, nodeid, uid, body(40).putLong(Fuse.RW_FH, fh).putInt(Fuse.RW_SIZE, 16));
    }

    private void interrupt(long unique, long of) {
        queue(Fuse.INTERRUPT, unique, 0, body(8).putLong(Fuse.INTERRUPT_UNIQUE, of));
    }

    private static void await(Supplier<String> what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after 10 s waiting for " + what.get());
            }
            Thread.sleep(2);
        }
    }

    private List<ByteBuffer> repliesTo(long unique) {
        return replies.stream().filter(r -> r.getLong(8) == unique).toList();
    }

    private ByteBuffer reply(long unique) {
        try {
            await(() -> "a reply to " + unique + ", have " + replies.size() + " replies; log " + logged,
                    () -> !repliesTo(unique).isEmpty());
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        return repliesTo(unique).get(0);
    }

    private int error(long unique) {
        return -reply(unique).getInt(4);
    }

    // ---- the tests ----

    @Test
    void anInterruptedReadStuckInTheDriverIsAnsweredEintrOnceAndThePoolServesOn() throws Exception {
        start(FuseServer.MAX_ABANDONED);
        long fh = open(1);
        read(2, fh);
        await(() -> "the read in the driver", () -> inTheDriver.get() == 1);
        interrupt(3, 2);
        assertEquals(Fuse.EINTR, error(2), "answered for the driver after the grace");
        assertEquals(1, server.abandonedThreads());
        // the reply goes out first, the line after it
        await(() -> "the warning about EINTR; log " + logged,
                () -> logged.stream().anyMatch(l -> l.startsWith("warn") && l.contains("EINTR")));

        // the thread the driver holds is replaced: another client's request is served meanwhile
        queue(Fuse.GETATTR, 4, Nodes.ROOT, body(16));
        assertEquals(0, error(4));

        release.countDown();
        await(() -> "the driver's late return", () -> server.lateReplies.sum() == 1 && server.abandonedThreads() == 0);
        queue(Fuse.GETATTR, 5, Nodes.ROOT, body(16));
        assertEquals(0, error(5));
        assertEquals(1, repliesTo(2).size(), "exactly one reply to the stuck read: " + replies.size() + " replies");
        assertEquals(1, server.answeredForDrivers.sum());
    }

    @Test
    void aRevokedFileGetsEnodevForTheRequestStuckInItsDriver() throws Exception {
        start(FuseServer.MAX_ABANDONED);
        long fh = open(1);
        read(2, fh);
        await(() -> "the read in the driver", () -> inTheDriver.get() == 1);
        revoked = true; // the module is being unloaded: revocation began, the driver holds on
        assertEquals(Fuse.ENODEV, error(2));
        release.countDown();
        await(() -> "the driver's late return", () -> server.lateReplies.sum() == 1);
        assertEquals(1, repliesTo(2).size());
    }

    /** The client was told EINTR, so it never learns the handle of the file its driver opened late: devfs closes it. */
    @Test
    void anOpenAnsweredForItsDriverClosesTheFileTheDriverOpenedLate() throws Exception {
        start(FuseServer.MAX_ABANDONED);
        openHangs = true;
        queue(Fuse.OPEN, 1, nodeid, body(8));
        await(() -> "the open in the driver", () -> inTheDriver.get() == 1);
        interrupt(2, 1);
        assertEquals(Fuse.EINTR, error(1));
        release.countDown();
        await(() -> "the late open closed", () -> closed.get() == 1);
        assertEquals(0, server.openFiles());
        assertEquals(1, repliesTo(1).size());
    }

    /**
     * Past the bound on abandoned threads, a stuck request is still answered for its driver, but
     * its thread stays counted in the pool (said once in the log): threads never grow without
     * limit however many requests a driver holds.
     */
    @Test
    void abandonedThreadsAreBoundedAndEveryRequestIsStillAnswered() throws Exception {
        start(1);
        long fh = open(1);
        for (long u = 10; u < 13; u++) {
            read(u, fh);
        }
        await(() -> "three reads in the driver", () -> inTheDriver.get() == 3);
        for (long u = 10; u < 13; u++) {
            interrupt(u + 10, u);
        }
        for (long u = 10; u < 13; u++) {
            assertEquals(Fuse.EINTR, error(u));
        }
        assertEquals(1, server.abandonedThreads());
        assertEquals(1, logged.stream().filter(l -> l.startsWith("error") && l.contains("already abandoned")).count(),
                logged.toString());
        queue(Fuse.GETATTR, 30, Nodes.ROOT, body(16));
        assertEquals(0, error(30));
        release.countDown();
        await(() -> "the driver's late returns", () -> server.lateReplies.sum() == 3 && server.abandonedThreads() == 0);
        for (long u = 10; u < 13; u++) {
            assertEquals(1, repliesTo(u).size());
        }
    }

    // ---- bounds: one user's blocked requests, everyone's ----

    /**
     * A user past its bound gets EAGAIN at once (logged once for that user), and another user's
     * request still runs in the driver; the first user's held requests still get their
     * interrupts answered.
     */
    @Test
    void aUsersRequestsPastItsBoundGetEagainAndAnotherUsersAreServed() throws Exception {
        start(8, 2, FuseServer.MAX_ABANDONED);
        long fh = open(1);
        read(10, fh, 1000);
        read(11, fh, 1000);
        await(() -> "user 1000's two reads in the driver", () -> inTheDriver.get() == 2);
        read(12, fh, 1000);
        assertEquals(Fuse.EAGAIN, error(12), "past user 1000's bound");
        read(13, fh, 1000);
        assertEquals(Fuse.EAGAIN, error(13));
        assertEquals(1, logged.stream().filter(l -> l.contains("user 1000") && l.contains("EAGAIN")).count(),
                "logged once: " + logged);
        read(14, fh, 0);
        await(() -> "root's read in the driver beside them", () -> inTheDriver.get() == 3);
        interrupt(20, 10);
        assertEquals(Fuse.EINTR, error(10));
        assertEquals(2, server.refused.sum());
    }

    /**
     * With every place in driver code held (two here), a request that would run driver code gets
     * EAGAIN, and requests that need no driver, and the interrupts of the held ones, are still
     * read and answered: a thread always reads.
     */
    @Test
    void withEveryPlaceInDriversHeldRequestsAreStillReadAndInterruptsAnswered() throws Exception {
        start(2, 2, FuseServer.MAX_ABANDONED);
        long fh = open(1);
        read(10, fh, 1000);
        read(11, fh, 2000);
        await(() -> "two reads in the driver", () -> inTheDriver.get() == 2);
        read(12, fh, 3000);
        assertEquals(Fuse.EAGAIN, error(12), "no place left in drivers");
        assertTrue(logged.stream().anyMatch(l -> l.contains("the most there may be")), logged.toString());
        queue(Fuse.GETATTR, 13, Nodes.ROOT, body(16));
        assertEquals(0, error(13));
        interrupt(14, 10);
        interrupt(15, 11);
        assertEquals(Fuse.EINTR, error(10));
        assertEquals(Fuse.EINTR, error(11));
        // their places went with their abandoned threads: driver code runs again
        read(16, fh, 3000);
        await(() -> "a new read in the driver", () -> inTheDriver.get() == 3);
    }
}
