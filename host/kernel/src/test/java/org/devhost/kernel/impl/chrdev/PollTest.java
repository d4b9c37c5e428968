package org.devhost.kernel.impl.chrdev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.EnumSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.devhost.kernel.Errno;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.Operation;
import org.devhost.kernel.PollEvents;
import org.devhost.kernel.PollTable;
import org.devhost.kernel.WaitQueue;
import org.devhost.kernel.impl.Kernel;
import org.devhost.kernel.impl.registry.ModuleRegistry;
import org.devhost.kernel.impl.wait.WaitQueueImpl;
import org.devhost.kernel.testing.Caller;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The readiness hook: poll with a table, timed polls, one-shot subscriptions, and F_SETFL. */
@Timeout(30)
class PollTest {
    private final Kernel kernel = new Kernel();
    private final ModuleRegistry driverModule = kernel.module("fifo");
    private final ModuleRegistry user = kernel.module("user");
    private final Fifo fifo = new Fifo(driverModule);

    private static Errno errno(Runnable r) {
        return assertThrows(KernelException.class, r::run).errno();
    }

    /** A byte FIFO as a driver writes one: reads wait for data, poll names the queue writes wake. */
    static final class Fifo implements FileOperations<Void> {
        final ReentrantLock lock = new ReentrantLock();
        final WaitQueueImpl readable;
        final ArrayDeque<Byte> bytes = new ArrayDeque<>();

        Fifo(ModuleRegistry module) {
            readable = (WaitQueueImpl) module.newWaitQueue(lock);
        }

        public Void open(File f) { return null; }

        public int read(Void d, File f, ByteBuffer dst, long off) {
            lock.lock();
            try {
                readable.waitUntil(f, () -> !bytes.isEmpty());
                int n = 0;
                while (dst.hasRemaining() && !bytes.isEmpty()) {
                    dst.put(bytes.poll());
                    n++;
                }
                return n;
            } finally {
                lock.unlock();
            }
        }

        public int write(Void d, File f, ByteBuffer src, long off) {
            int n = src.remaining();
            lock.lock();
            try {
                while (src.hasRemaining()) {
                    bytes.add(src.get());
                }
            } finally {
                lock.unlock();
            }
            readable.wakeAll();
            return n;
        }

        public int poll(Void d, File f, PollTable table) {
            table.register(readable);
            table.register(readable); // counts once
            lock.lock();
            try {
                return PollEvents.POLLOUT | (bytes.isEmpty() ? 0 : PollEvents.POLLIN);
            } finally {
                lock.unlock();
            }
        }
    }

    private OpenFile open() {
        driverModule.registerMisc("fifo", MiscDevice.DYNAMIC_MINOR, fifo);
        return user.open("fifo", OpenFlags.O_RDWR);
    }

    private static void write(OpenFile f, String s) {
        f.write(ByteBuffer.wrap(s.getBytes()));
    }

    @Test
    void aTimedPollReturnsZeroWhenTheTimeRunsOutAndTheMaskWhenItIsReady() throws Exception {
        try (OpenFile f = open()) {
            assertEquals(0, f.poll(PollEvents.POLLIN, 0));
            // it waits out the time asked: a lower bound the clock guarantees, not a speed measured
            long t0 = System.nanoTime();
            assertEquals(0, f.poll(PollEvents.POLLIN, 20));
            long waited = System.nanoTime() - t0;
            assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(20), "a 20 ms poll returned after " + waited + " ns");
            assertEquals(0, fifo.readable.listenerCount(), "the timed-out poll left nothing on the queue");

            // a timed poll parks on the driver's queue until an event comes, well before its time runs out
            Caller<Integer> timed = Caller.start("timed poller", () -> f.poll(PollEvents.POLLIN, 60_000)).parked();
            assertEquals(1, fifo.readable.listenerCount());
            write(f, "y");
            assertEquals(PollEvents.POLLIN, timed.result().get(10, TimeUnit.SECONDS));
            assertEquals(0, fifo.readable.listenerCount());
            assertEquals(1, f.read(ByteBuffer.allocate(1)));
            assertEquals(PollEvents.POLLOUT, f.poll(PollEvents.POLLIN | PollEvents.POLLOUT, -1));
            write(f, "x");
            assertEquals(PollEvents.POLLIN, f.poll(PollEvents.POLLIN, 0));
        }
    }

    @Test
    void aPollParkedUntilAWriterInAnotherThreadMakesDataAvailable() throws Exception {
        try (OpenFile f = open(); OpenFile writer = user.open("fifo", OpenFlags.O_WRONLY)) {
            Caller<Integer> poller = Caller.start("poller", () -> f.poll(PollEvents.POLLIN, -1)).parked();
            assertEquals(1, fifo.readable.listenerCount());
            write(writer, "data");
            assertEquals(PollEvents.POLLIN, poller.result().get(10, TimeUnit.SECONDS));
            assertEquals(0, fifo.readable.listenerCount());
            assertEquals(0, ((OpenFileImpl) f).pollSubscriptionCount());
        }
    }

    @Test
    void pollErrAndPollHupAreReportedUnasked() {
        driverModule.registerMisc("hungup", MiscDevice.DYNAMIC_MINOR, new FileOperations<Void>() {
            public Void open(File f) { return null; }
            public int poll(Void d, File f) { return PollEvents.POLLHUP | PollEvents.POLLERR | PollEvents.POLLOUT; }
        });
        try (OpenFile f = user.open("hungup", OpenFlags.O_RDONLY)) {
            assertEquals(PollEvents.POLLHUP | PollEvents.POLLERR, f.poll(PollEvents.POLLIN, -1));
        }
    }

    @Test
    void aParkedPollEndsWithEintrEbadfOrEnodev() throws Exception {
        try (OpenFile f = open()) {
            Caller<Integer> interrupted = Caller.start("interrupted", () -> {
                try {
                    return f.poll(PollEvents.POLLIN, -1);
                } finally {
                    assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept");
                }
            }).parked();
            interrupted.thread().interrupt();
            assertEquals(Errno.EINTR, cause(interrupted).errno());

            Caller<Integer> closed = Caller.start("closed", () -> f.poll(PollEvents.POLLIN, -1)).parked();
            f.close();
            assertEquals(Errno.EBADF, cause(closed).errno());
            assertEquals(Errno.EBADF, errno(() -> f.poll(PollEvents.POLLIN, 0)));
        }
        try (OpenFile f = user.open("fifo", OpenFlags.O_RDONLY)) {
            Caller<Integer> revoked = Caller.start("revoked", () -> f.poll(PollEvents.POLLIN, -1)).parked();
            driverModule.context().release();
            assertEquals(Errno.ENODEV, cause(revoked).errno());
            assertEquals(Errno.ENODEV, errno(() -> f.poll(PollEvents.POLLIN, -1)));
        }
    }

    private static KernelException cause(Caller<?> c) throws Exception {
        ExecutionException e = assertThrows(ExecutionException.class, () -> c.result().get(10, TimeUnit.SECONDS));
        return (KernelException) e.getCause();
    }

    @Test
    void onReadyRunsOnceOnTheFirstWakeAndNeverAfterClose() {
        try (OpenFile f = open(); OpenFile writer = user.open("fifo", OpenFlags.O_WRONLY)) {
            AtomicInteger ready = new AtomicInteger();
            assertEquals(PollEvents.POLLOUT, f.poll(ready::incrementAndGet));
            assertEquals(1, fifo.readable.listenerCount());
            write(writer, "a");
            assertEquals(1, ready.get());
            write(writer, "b");
            fifo.readable.wakeAll();
            assertEquals(1, ready.get(), "one-shot");
            assertEquals(0, fifo.readable.listenerCount());
            assertEquals(0, ((OpenFileImpl) f).pollSubscriptionCount());

            AtomicInteger afterClose = new AtomicInteger();
            assertEquals(PollEvents.POLLIN | PollEvents.POLLOUT, f.poll(afterClose::incrementAndGet));
            f.close();
            assertEquals(0, fifo.readable.listenerCount(), "close dropped the subscription");
            write(writer, "c");
            assertEquals(0, afterClose.get());
            assertEquals(Errno.EBADF, errno(() -> f.poll(afterClose::incrementAndGet)));
        }
    }

    @Test
    void revocationRunsOnReady() {
        OpenFile f = open();
        AtomicInteger ready = new AtomicInteger();
        f.poll(ready::incrementAndGet);
        driverModule.context().release();
        assertEquals(1, ready.get());
        assertEquals(0, fifo.readable.listenerCount());
        assertEquals(Errno.ENODEV, errno(() -> f.poll(ready::incrementAndGet)));
        assertEquals(1, ready.get(), "nothing is subscribed on a revoked device");
    }

    @Test
    void pollingAgainWithoutAWakeKeepsOneSubscriptionAndTheLatestWins() {
        try (OpenFile f = open(); OpenFile other = user.open("fifo", OpenFlags.O_RDONLY)) {
            AtomicInteger earlier = new AtomicInteger();
            for (int i = 0; i < 1000; i++) {
                f.poll(earlier::incrementAndGet);
            }
            AtomicInteger latest = new AtomicInteger();
            f.poll(latest::incrementAndGet);
            AtomicInteger otherFile = new AtomicInteger();
            other.poll(otherFile::incrementAndGet);
            assertEquals(2, fifo.readable.listenerCount(), "one per file");
            assertEquals(1, ((OpenFileImpl) f).pollSubscriptionCount());
            write(f, "x");
            assertEquals(0, earlier.get());
            assertEquals(1, latest.get());
            assertEquals(1, otherFile.get());
        }
    }

    @Test
    void aDriverThatRegistersNoQueueSubscribesNothing() {
        driverModule.registerMisc("plain", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly());
        try (OpenFile f = user.open("plain", OpenFlags.O_RDONLY)) {
            AtomicInteger ready = new AtomicInteger();
            assertEquals(PollEvents.DEFAULT_MASK, f.poll(ready::incrementAndGet));
            assertEquals(0, ((OpenFileImpl) f).pollSubscriptionCount());
        }
    }

    @Test
    void whatOnReadyThrowsIsLoggedAndTheWriterGoesOn() {
        try (OpenFile f = open()) {
            f.poll(() -> {
                throw new IllegalStateException("subscriber bug");
            });
            write(f, "x"); // the wake runs the subscriber on this thread
            assertEquals(PollEvents.POLLIN, f.poll(PollEvents.POLLIN, 0));
            assertTrue(kernel.log.stream().anyMatch(l -> l.startsWith("ERROR user: poll notification for fifo threw")),
                    kernel.log.toString());
        }
    }

    @Test
    void aQueueTheKernelDidNotMakeIsEinval() {
        WaitQueue foreign = new WaitQueue() {
            public void waitUntil(File file, java.util.function.BooleanSupplier ready) {}
            public void waitUntil(java.util.function.BooleanSupplier ready) {}
            public void wakeAll() {}
        };
        driverModule.registerMisc("odd", MiscDevice.DYNAMIC_MINOR, new FileOperations<Void>() {
            public Void open(File f) { return null; }
            public int poll(Void d, File f, PollTable t) {
                t.register(foreign);
                return 0;
            }
        });
        try (OpenFile f = user.open("odd", OpenFlags.O_RDONLY)) {
            assertEquals(Errno.EINVAL, errno(() -> f.poll(() -> {})));
            assertEquals(0, ((OpenFileImpl) f).pollSubscriptionCount());
            assertEquals(0, f.poll(), "a plain poll has no table to register in");
        }
    }

    /** Both forms of poll count as POLL in the operation table; the old form still answers. */
    @Test
    void eitherPollOverrideIsThePollOperation() {
        FileOperations<Void> old = new FileOperations<>() {
            public Void open(File f) { return null; }
            public int poll(Void d, File f) { return PollEvents.POLLPRI; }
        };
        driverModule.registerMisc("old", MiscDevice.DYNAMIC_MINOR, old);
        driverModule.registerMisc("fifo", MiscDevice.DYNAMIC_MINOR, fifo);
        assertEquals(EnumSet.of(Operation.OPEN, Operation.POLL), user.device("old").orElseThrow().operations());
        assertTrue(user.device("fifo").orElseThrow().operations().contains(Operation.POLL));
        try (OpenFile f = user.open("old", OpenFlags.O_RDONLY)) {
            assertEquals(PollEvents.POLLPRI, f.poll());
            assertEquals(PollEvents.POLLPRI, f.poll(PollEvents.POLLPRI, -1));
        }
    }

    @Test
    void setStatusFlagsTurnsABlockingReadIntoEagainAndBack() throws Exception {
        try (OpenFile f = open()) {
            f.setStatusFlags(OpenFlags.O_NONBLOCK | OpenFlags.O_WRONLY | OpenFlags.O_TRUNC);
            assertEquals(OpenFlags.O_RDWR | OpenFlags.O_NONBLOCK, f.flags(), "only O_NONBLOCK and O_APPEND change");
            assertTrue(((File) f).isNonBlocking());
            assertEquals(Errno.EAGAIN, errno(() -> f.read(ByteBuffer.allocate(1))));

            f.setStatusFlags(OpenFlags.O_APPEND);
            assertEquals(OpenFlags.O_RDWR | OpenFlags.O_APPEND, f.flags());
            Caller<Integer> reader = Caller.start("reader", () -> f.read(ByteBuffer.allocate(1))).parked();
            write(f, "z");
            assertEquals(1, reader.result().get(10, TimeUnit.SECONDS));
            f.close();
            assertEquals(Errno.EBADF, errno(() -> f.setStatusFlags(0)));
        }
    }
}
