package org.devhost.kernel.impl.chrdev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.devhost.kernel.Errno;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.IoctlArg;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.PollEvents;
import org.devhost.kernel.PollTable;
import org.devhost.kernel.WaitQueue;
import org.devhost.kernel.impl.Kernel;
import org.devhost.kernel.impl.Parked;
import org.devhost.kernel.impl.registry.ModuleRegistry;
import org.devhost.kernel.testing.Caller;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What a caller of an open file is promised whatever the driver does: positions, modes, counts, wakes. */
@Timeout(30)
class OpenFileContractTest {
    private final Kernel kernel = new Kernel();
    private final ModuleRegistry driver = kernel.module("drv");
    private final ModuleRegistry user = kernel.module("user");

    private static Errno errno(Runnable r) {
        return assertThrows(KernelException.class, r::run).errno();
    }

    /** A device that seeks, reads one byte per call, and counts releases. */
    private static class Seeking implements FileOperations<Void> {
        final AtomicInteger releases = new AtomicInteger();
        volatile long lastOffset = -1;

        @Override
        public Void open(File file) {
            return null;
        }

        @Override
        public void release(Void data, File file) {
            releases.incrementAndGet();
        }

        @Override
        public int read(Void data, File file, ByteBuffer dst, long offset) {
            lastOffset = offset;
            dst.put((byte) 1);
            return 1;
        }

        @Override
        public int write(Void data, File file, ByteBuffer src, long offset) {
            lastOffset = offset;
            src.get();
            return 1;
        }

        @Override
        public long seek(Void data, File file, long offset, int whence) {
            return whence == OpenFile.SEEK_END ? 100 + offset : offset;
        }

        @Override
        public long ioctl(Void data, File file, int cmd, IoctlArg arg) {
            return cmd == 1 ? 0 : -5;
        }

        @Override
        public void fsync(Void data, File file) {}

        @Override
        public int poll(Void data, File file, PollTable table) {
            return PollEvents.POLLIN | PollEvents.POLLOUT;
        }
    }

    @Test
    void preadAndPwriteNeedADeviceThatSeeksAndAPositionThatIsNotNegativeAndLeaveThePositionAlone() {
        Seeking seeking = new Seeking();
        driver.registerMisc("seeks", MiscDevice.DYNAMIC_MINOR, seeking);
        driver.registerMisc("stream", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly());
        try (OpenFile f = user.open("seeks", OpenFlags.O_RDWR); OpenFile s = user.open("stream", OpenFlags.O_RDWR)) {
            assertEquals(1, f.read(ByteBuffer.allocate(4), 40));
            assertEquals(40, seeking.lastOffset);
            assertEquals(1, f.write(ByteBuffer.allocate(4), 7));
            assertEquals(7, seeking.lastOffset);
            assertEquals(0, f.position(), "pread and pwrite do not move the file position");
            assertEquals(Errno.EINVAL, errno(() -> f.read(ByteBuffer.allocate(4), -1)));
            assertEquals(Errno.EINVAL, errno(() -> f.write(ByteBuffer.allocate(4), -1)));
            assertEquals(Errno.ESPIPE, errno(() -> s.read(ByteBuffer.allocate(4), 0)));
            assertEquals(Errno.ESPIPE, errno(() -> s.write(ByteBuffer.allocate(4), 0)));
        }
    }

    @Test
    void aFileReadsAndWritesOnlyAsItWasOpened() {
        driver.registerMisc("seeks", MiscDevice.DYNAMIC_MINOR, new Seeking());
        try (OpenFile r = user.open("seeks", OpenFlags.O_RDONLY); OpenFile w = user.open("seeks", OpenFlags.O_WRONLY)) {
            assertEquals(Errno.EBADF, errno(() -> r.write(ByteBuffer.allocate(1))));
            assertEquals(Errno.EBADF, errno(() -> w.read(ByteBuffer.allocate(1))));
            assertEquals(1, r.read(ByteBuffer.allocate(1)));
            assertEquals(1, w.write(ByteBuffer.allocate(1)));
            assertEquals(1, r.position());
        }
    }

    @Test
    void seekAcceptsTheThreeWhencesOnlyAndReturnsTheNewPosition() {
        driver.registerMisc("seeks", MiscDevice.DYNAMIC_MINOR, new Seeking());
        try (OpenFile f = user.open("seeks", OpenFlags.O_RDONLY)) {
            assertEquals(5, f.seek(5, OpenFile.SEEK_SET));
            assertEquals(5, f.position());
            assertEquals(103, f.seek(3, OpenFile.SEEK_END));
            assertEquals(103, f.position());
            assertEquals(Errno.EINVAL, errno(() -> f.seek(0, OpenFile.SEEK_END + 1)));
            assertEquals(Errno.EINVAL, errno(() -> f.seek(0, OpenFile.SEEK_SET - 1)));
            assertEquals(Errno.EINVAL, errno(() -> f.seek(-200, OpenFile.SEEK_END)), "a negative position");
            assertEquals(103, f.position());
        }
    }

    @Test
    void aReadCountPastWhatTheDriverPutIntoTheBufferIsEioEvenWhenTheBufferDoesNotStartAtZero() {
        driver.registerMisc("liar", MiscDevice.DYNAMIC_MINOR, new FileOperations<Void>() {
            @Override
            public Void open(File file) {
                return null;
            }

            @Override
            public int read(Void data, File file, ByteBuffer dst, long offset) {
                dst.put((byte) 9);
                return dst.position() == 6 ? 1 : 3; // honest only when called at 5
            }
        });
        try (OpenFile f = user.open("liar", OpenFlags.O_RDONLY)) {
            ByteBuffer honest = ByteBuffer.allocate(16).position(5);
            assertEquals(1, f.read(honest));
            ByteBuffer lying = ByteBuffer.allocate(16).position(2);
            assertEquals(Errno.EIO, errno(() -> f.read(lying)), "3 claimed, 1 put");
        }
    }

    @Test
    void anIoctlResultOfZeroIsPassedOnANegativeOneIsEioAndTheFileStillReleasesAfterIoctlAndFsync() {
        Seeking seeking = new Seeking();
        driver.registerMisc("seeks", MiscDevice.DYNAMIC_MINOR, seeking);
        OpenFile f = user.open("seeks", OpenFlags.O_RDONLY);
        assertEquals(0, f.ioctl(1, 0L));
        assertEquals(Errno.EIO, errno(() -> f.ioctl(2, 0L)));
        f.fsync();
        assertEquals(PollEvents.POLLIN | PollEvents.POLLOUT, f.poll());
        f.close();
        assertEquals(1, seeking.releases.get(), "every operation gave back its reference: close releases");
    }

    @Test
    void aPollerOfADriverWithNoQueueIsWokenByTheRevocationWithEnodev() throws Exception {
        driver.registerMisc("quiet", MiscDevice.DYNAMIC_MINOR, new FileOperations<Void>() {
            @Override
            public Void open(File file) {
                return null;
            }

            @Override
            public int poll(Void data, File file, PollTable table) {
                return 0; // never ready, and names no queue to be woken by
            }
        });
        OpenFile f = user.open("quiet", OpenFlags.O_RDONLY);
        Caller<Integer> poller = Caller.start("poller", () -> f.poll(PollEvents.POLLIN, -1)).parked();
        driver.context().release();
        ExecutionException e = assertThrows(ExecutionException.class, () -> poller.result().get(10, TimeUnit.SECONDS));
        assertEquals(Errno.ENODEV, ((KernelException) e.getCause()).errno());
    }

    @Test
    void aWakeBeforeTheDeviceIsReadyDoesNotEndAPollThatHasTimeLeft() throws Exception {
        ReentrantLock lock = new ReentrantLock();
        WaitQueue queue = driver.newWaitQueue(lock);
        AtomicBoolean ready = new AtomicBoolean();
        AtomicInteger polls = new AtomicInteger();
        driver.registerMisc("late", MiscDevice.DYNAMIC_MINOR, new FileOperations<Void>() {
            @Override
            public Void open(File file) {
                return null;
            }

            @Override
            public int poll(Void data, File file, PollTable table) {
                polls.incrementAndGet();
                table.register(queue);
                return ready.get() ? PollEvents.POLLIN : 0;
            }
        });
        try (OpenFile f = user.open("late", OpenFlags.O_RDONLY)) {
            Caller<Integer> poller = Caller.start("poller", () -> f.poll(PollEvents.POLLIN, 600_000)).parked();
            queue.wakeAll(); // not ready yet
            Parked.until(() -> polls.get() >= 2 && Parked.inKernelWait(poller.thread()));
            ready.set(true);
            queue.wakeAll();
            assertEquals(PollEvents.POLLIN, poller.result().get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void aPollerThatPollsAgainLeavesTheOtherPollersOfTheQueueInPlace() {
        ReentrantLock lock = new ReentrantLock();
        WaitQueue queue = driver.newWaitQueue(lock);
        AtomicBoolean ready = new AtomicBoolean();
        driver.registerMisc("shared", MiscDevice.DYNAMIC_MINOR, new FileOperations<Void>() {
            @Override
            public Void open(File file) {
                return null;
            }

            @Override
            public int poll(Void data, File file, PollTable table) {
                table.register(queue);
                return ready.get() ? PollEvents.POLLIN : 0;
            }
        });
        AtomicInteger[] woken = {new AtomicInteger(), new AtomicInteger(), new AtomicInteger(), new AtomicInteger()};
        try (OpenFile a = user.open("shared", OpenFlags.O_RDONLY); OpenFile b = user.open("shared", OpenFlags.O_RDONLY);
                OpenFile c = user.open("shared", OpenFlags.O_RDONLY)) {
            a.poll(woken[0]::incrementAndGet);
            b.poll(woken[1]::incrementAndGet);
            c.poll(woken[2]::incrementAndGet);
            b.poll(woken[3]::incrementAndGet); // replaces b's first subscription, from the middle of the queue's list
            ready.set(true);
            queue.wakeAll();
            assertEquals(List.of(1, 0, 1, 1), java.util.Arrays.stream(woken).map(AtomicInteger::get).toList());
        }
    }

    @Test
    void anInterruptedWaiterGetsEintrAndKeepsItsInterruptStatus() throws Exception {
        ReentrantLock lock = new ReentrantLock();
        WaitQueue queue = driver.newWaitQueue(lock);
        driver.registerMisc("blocks", MiscDevice.DYNAMIC_MINOR, new FileOperations<Void>() {
            @Override
            public Void open(File file) {
                return null;
            }

            @Override
            public int read(Void data, File file, ByteBuffer dst, long offset) {
                lock.lock();
                try {
                    queue.waitUntil(file, () -> false);
                    return 0;
                } finally {
                    lock.unlock();
                }
            }
        });
        try (OpenFile f = user.open("blocks", OpenFlags.O_RDONLY)) {
            Caller<Boolean> reader = Caller.start("reader", () -> {
                try {
                    f.read(ByteBuffer.allocate(1));
                    return false;
                } catch (KernelException e) {
                    assertEquals(Errno.EINTR, e.errno());
                    return Thread.currentThread().isInterrupted();
                }
            }).parked();
            reader.thread().interrupt();
            assertTrue(reader.result().get(10, TimeUnit.SECONDS), "the interrupt stays pending, as a signal does");
        }
    }
}
