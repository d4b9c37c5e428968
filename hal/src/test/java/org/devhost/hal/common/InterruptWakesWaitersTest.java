package org.devhost.hal.common;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.devhost.hal.DeviceNode;
import org.devhost.hal.Hal;
import org.devhost.hal.Pty;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.PollEvents;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link Thread#interrupt()} ends a call that waits for a host node with EINTR, as a signal ends a
 * blocked system call: devfs interrupts the thread of a request whose client got Ctrl-C or
 * {@code timeout}, and the read must then end, not wait for the node for ever. The node stays open
 * and usable (an interrupt is not a close), and the wait leaves no descriptor behind. A
 * {@code /dev/ptmx} master nobody writes to is a node whose read waits for ever.
 */
class InterruptWakesWaitersTest {
    private static final Hal HAL = new HostHal(HostHal.DEFAULT_ALLOWED);
    private static final String EVENTFD = "anon_inode:[eventfd]";

    @BeforeAll
    static void needPtmx() {
        assumeTrue(Files.exists(Path.of("/dev/ptmx")), "/dev/ptmx is absent on this machine; skipping");
    }

    @Test
    void anInterruptEndsABlockedReadWithEintrAndTheNodeStaysUsable() throws Exception {
        waitsThenEndsOnInterrupt("hal-intr-read", master -> master.read(ByteBuffer.allocateDirect(16)));
    }

    @Test
    void anInterruptEndsABlockedHeapRead() throws Exception {
        waitsThenEndsOnInterrupt("hal-intr-heap", master -> master.read(ByteBuffer.allocate(16)));
    }

    /** Writes of a megabyte to a master whose slave nobody reads fill its room; the next write waits. */
    @Test
    void anInterruptEndsABlockedWrite() throws Exception {
        waitsThenEndsOnInterrupt("hal-intr-write", master -> {
            ByteBuffer mega = ByteBuffer.allocate(1 << 20);
            while (true) {
                master.write(mega.clear());
            }
        });
    }

    @Test
    void anInterruptEndsAPollWithAnHourTimeout() throws Exception {
        waitsThenEndsOnInterrupt("hal-intr-poll", master -> master.poll(PollEvents.POLLIN, 3_600_000));
    }

    @Test
    void anInterruptEndsAPollWithoutTimeout() throws Exception {
        waitsThenEndsOnInterrupt("hal-intr-epoll", master -> master.poll(PollEvents.POLLIN, -1));
    }

    /**
     * Waits until the thread is parked in poll(2) on {@code call}, interrupts it, and expects EINTR
     * promptly with the interrupt status kept (a pending signal stays pending); then the node still
     * answers, and the per-wait descriptor is gone. On a build without the wake path the thread stays
     * parked: the bound fails the test and the close then ends the call.
     */
    private static void waitsThenEndsOnInterrupt(String name, Consumer<DeviceNode> call) throws Exception {
        long eventfds = CloseWakesWaitersTest.links(EVENTFD);
        HostNode master = (HostNode) HAL.open("/dev/ptmx", OpenFlags.O_RDWR | Hal.O_NOCTTY);
        try {
            AtomicReference<Throwable> ended = new AtomicReference<>();
            AtomicBoolean stillInterrupted = new AtomicBoolean();
            Thread t = new Thread(() -> {
                try {
                    call.accept(master);
                    ended.set(new AssertionError("the call returned although nothing was written"));
                } catch (Throwable e) {
                    stillInterrupted.set(Thread.currentThread().isInterrupted());
                    ended.set(e);
                }
            }, name);
            t.setDaemon(true);
            t.start();
            Parked.awaitInPoll(t);

            t.interrupt();
            t.join(10_000); // a bound for a broken build, not a wait for a state: the interrupt ends the call
            assertFalse(t.isAlive(), name + " is still blocked after Thread.interrupt(): " + Arrays.toString(t.getStackTrace()));
            assertTrue(ended.get() instanceof KernelException, "ended with " + ended.get());
            KernelException e = (KernelException) ended.get();
            assertEquals(Errno.EINTR, e.errno(), e.getMessage());
            assertTrue(e.getMessage().contains("/dev/ptmx"), e.getMessage());
            assertTrue(stillInterrupted.get(), "the interrupt status is kept, as a pending signal stays pending");

            assertEquals("/dev/ptmx", CloseWakesWaitersTest.target(master.fd()), "an interrupt is not a close");
            // still answers (a closed node would be EBADF); what it answers depends on the call (a
            // write to a master is echoed back, so the master may be readable)
            assertTrue(master.poll(PollEvents.POLLIN, 0) >= 0, "the node still answers");
            assertEquals(eventfds + 1, CloseWakesWaitersTest.links(EVENTFD), "only the node's own wake descriptor is left");
        } finally {
            master.close();
        }
        assertEquals(eventfds, CloseWakesWaitersTest.links(EVENTFD));
    }

    /** A thread interrupted before it waits gets EINTR at once rather than sleeping on the node. */
    @Test
    void aThreadInterruptedBeforeItWaitsGetsEintrAtOnce() throws Exception {
        try (DeviceNode master = HAL.open("/dev/ptmx", OpenFlags.O_RDWR | Hal.O_NOCTTY)) {
            AtomicReference<Throwable> ended = new AtomicReference<>();
            Thread t = new Thread(() -> {
                Thread.currentThread().interrupt();
                try {
                    master.read(ByteBuffer.allocateDirect(16));
                    ended.set(new AssertionError("the read returned although nothing was written"));
                } catch (Throwable e) {
                    ended.set(e);
                }
            }, "hal-intr-early");
            t.setDaemon(true);
            t.start();
            t.join(10_000); // a bound for a broken build: the pending interrupt ends the read at once
            assertFalse(t.isAlive(), "a read by an interrupted thread sleeps on the node: " + Arrays.toString(t.getStackTrace()));
            assertTrue(ended.get() instanceof KernelException, "ended with " + ended.get());
            assertEquals(Errno.EINTR, ((KernelException) ended.get()).errno());
        }
    }

    /**
     * An interrupt ends only a wait: data that is there is read, as a read(2) that need not sleep
     * returns its bytes whatever signal is pending.
     */
    @Test
    void anInterruptedThreadStillReadsWhatIsThere() {
        try (Pty pty = Pty.open(HAL)) {
            pty.slave().write(ByteBuffer.wrap("x".getBytes()));
            assertTrue((pty.master().poll(PollEvents.POLLIN, 10_000) & PollEvents.POLLIN) != 0);
            Thread.currentThread().interrupt();
            try {
                ByteBuffer in = ByteBuffer.allocate(8);
                assertEquals(1, pty.master().read(in));
                assertArrayEquals("x".getBytes(), Arrays.copyOf(in.array(), 1));
                assertTrue(Thread.currentThread().isInterrupted());
            } finally {
                Thread.interrupted();
            }
        }
    }

    /**
     * The kernel's watchdog (StuckThreads, which cannot import the HAL) tells a thread waiting for a
     * host node from one hung in a driver by this frame: the class and method it names must be the
     * ones a waiting thread shows.
     */
    @Test
    void aThreadWaitingForANodeShowsTheFrameTheKernelsWatchdogLooksFor() throws Exception {
        try (DeviceNode master = HAL.open("/dev/ptmx", OpenFlags.O_RDWR | Hal.O_NOCTTY)) {
            Thread t = new Thread(() -> {
                try {
                    master.read(ByteBuffer.allocateDirect(16));
                } catch (KernelException closed) {
                    // EBADF at the close below
                }
            }, "hal-wait-frame");
            t.setDaemon(true);
            t.start();
            Parked.awaitInPoll(t);
            StackTraceElement wait = Arrays.stream(t.getStackTrace())
                    .filter(f -> f.getClassName().equals("org.devhost.hal.common.NodeWait") && f.getMethodName().equals("await"))
                    .findFirst().orElse(null);
            assertNotNull(wait, "no org.devhost.hal.common.NodeWait.await frame in " + Arrays.toString(t.getStackTrace()));
            master.close();
            t.join(10_000);
            assertFalse(t.isAlive());
        }
    }
}
