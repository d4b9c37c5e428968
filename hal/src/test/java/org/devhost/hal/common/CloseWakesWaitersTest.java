package org.devhost.hal.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.devhost.hal.DeviceNode;
import org.devhost.hal.Hal;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.PollEvents;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A close ends the calls that wait for the node, and the descriptor goes with the last of them. A
 * {@code /dev/ptmx} master nobody writes to is a node whose read waits for ever.
 */
class CloseWakesWaitersTest {
    private static final Hal HAL = new HostHal(HostHal.DEFAULT_ALLOWED);

    @BeforeAll
    static void needPtmx() {
        assumeTrue(Files.exists(Path.of("/dev/ptmx")), "/dev/ptmx is absent on this machine; skipping");
    }

    @Test
    void aBlockedReadEndsWithEbadfOnCloseAndTheDescriptorIsClosed() throws Exception {
        waitsThenEndsOnClose("hal-blocked-read", master -> master.read(ByteBuffer.allocateDirect(16)));
    }

    @Test
    void aBlockedHeapReadEndsToo() throws Exception {
        waitsThenEndsOnClose("hal-heap-read", master -> master.read(ByteBuffer.allocate(16)));
    }

    /**
     * Writes of a megabyte to a master whose slave nobody reads: the line discipline's room fills,
     * and the next write must wait where a close reaches it (poll), not inside write(2).
     */
    @Test
    void aBlockedWriteEndsToo() throws Exception {
        waitsThenEndsOnClose("hal-blocked-write", master -> {
            ByteBuffer mega = ByteBuffer.allocate(1 << 20);
            while (true) {
                master.write(mega.clear());
            }
        });
    }

    @Test
    void aPollWithAnHourTimeoutEndsWithEbadfOnClose() throws Exception {
        waitsThenEndsOnClose("hal-long-poll", master -> master.poll(PollEvents.POLLIN, 3_600_000));
    }

    @Test
    void aPollWithoutTimeoutEndsWithEbadfOnClose() throws Exception {
        waitsThenEndsOnClose("hal-endless-poll", master -> master.poll(PollEvents.POLLIN, -1));
    }

    private static void waitsThenEndsOnClose(String name, Consumer<DeviceNode> call) throws Exception {
        long eventfds = links("anon_inode:[eventfd]");
        HostNode master = (HostNode) HAL.open("/dev/ptmx", OpenFlags.O_RDWR);
        int fd = master.fd();
        assertEquals("/dev/ptmx", target(fd), "the master is open");
        AtomicReference<Throwable> ended = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                call.accept(master);
                ended.set(new AssertionError("the call returned although nothing was written"));
            } catch (Throwable e) {
                ended.set(e);
            }
        }, name);
        t.setDaemon(true);
        t.start();
        Parked.awaitInPoll(t);

        master.close();
        t.join(10_000); // a bound for a broken build, not a wait for a state: the close ends the call
        assertFalse(t.isAlive(), name + " is still blocked after close");
        assertTrue(ended.get() instanceof KernelException, "ended with " + ended.get());
        KernelException e = (KernelException) ended.get();
        assertEquals(Errno.EBADF, e.errno());
        assertTrue(e.getMessage().contains("closed while the call waited"), e.getMessage());
        assertFalse("/dev/ptmx".equals(target(fd)), "fd " + fd + " still points at /dev/ptmx");
        assertEquals(eventfds, links("anon_inode:[eventfd]"), "the wake descriptor is closed as well");
    }

    /** Where descriptor {@code fd} of this process points, or null when it is closed. */
    static String target(int fd) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
        } catch (IOException closed) {
            return null;
        }
    }

    static long links(String target) throws IOException {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.map(p -> {
                try {
                    return Files.readSymbolicLink(p).toString();
                } catch (IOException gone) {
                    return "";
                }
            }).filter(target::equals).count();
        }
    }

    @Test
    void aNonBlockingNodeStillAnswersEagainAndNeverWaits() {
        try (DeviceNode nb = HAL.open("/dev/ptmx", OpenFlags.O_RDWR | OpenFlags.O_NONBLOCK)) {
            KernelException e = assertThrows(KernelException.class, () -> nb.read(ByteBuffer.allocateDirect(8)));
            assertEquals(Errno.EAGAIN, e.errno());
        }
    }
}
