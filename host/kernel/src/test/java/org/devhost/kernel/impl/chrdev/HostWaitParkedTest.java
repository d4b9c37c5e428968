package org.devhost.kernel.impl.chrdev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.devhost.hal.common.NodeWait;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.impl.Kernel;
import org.devhost.kernel.impl.Parked;
import org.devhost.kernel.impl.registry.ModuleRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A driver's reader blocked in the HAL's wait for a host node (hostdev reading a pty nobody writes
 * to) is parked, as a reader in a kernel WaitQueue is: the watchdog does not call it a hang and a
 * restart does not count it as abandoned. Java sees such a thread RUNNABLE (it is in native code),
 * so only its stack tells: a frame of the HAL's {@code NodeWait.await} (here a stand-in of that name,
 * since the kernel does not depend on the HAL). A thread blocked the same way in the driver's own
 * code is not parked.
 */
@Timeout(30)
class HostWaitParkedTest {
    private final Kernel kernel = new Kernel();
    private final Pipe halWake;
    private final Pipe ownWake;
    private final List<Thread> started = new ArrayList<>();

    HostWaitParkedTest() throws IOException {
        halWake = Pipe.open();
        ownWake = Pipe.open();
    }

    /** Minor "host": read waits in the (stand-in) HAL wait; minor "own": read blocks in the driver's own native read. */
    private final class Driver implements FileOperations<Void> {
        @Override
        public Void open(File file) {
            return null;
        }

        @Override
        public int read(Void data, File file, ByteBuffer dst, long offset) {
            try {
                if (file.deviceName().equals("host")) {
                    NodeWait.await(halWake.source());
                } else {
                    ownWake.source().read(ByteBuffer.allocate(1));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return 0;
        }
    }

    @AfterEach
    void release() throws Exception {
        for (Pipe p : List.of(halWake, ownWake)) {
            p.sink().write(ByteBuffer.wrap(new byte[8]));
        }
        for (Thread t : started) {
            t.join();
        }
    }

    private Thread reader(OpenFile f, String name) {
        Thread t = new Thread(() -> f.read(ByteBuffer.allocate(1)), name);
        started.add(t);
        t.start();
        return t;
    }

    /** In a native call (RUNNABLE to Java) with a frame of {@code frameClass}. */
    private static boolean blockedIn(Thread t, String frameClass) {
        StackTraceElement[] s = t.getStackTrace();
        return t.getState() == Thread.State.RUNNABLE && s.length > 0 && s[0].isNativeMethod()
                && Arrays.stream(s).anyMatch(f -> f.getClassName().equals(frameClass));
    }

    @Test
    void aReaderWaitingInTheHalsWaitIsParkedAndOneBlockedInTheDriversOwnCodeIsNot() throws Exception {
        ModuleRegistry m = kernel.module("hostdevlike");
        Driver driver = new Driver();
        m.registerMisc("host", MiscDevice.DYNAMIC_MINOR, driver);
        m.registerMisc("own", MiscDevice.DYNAMIC_MINOR, driver);
        ModuleRegistry user = kernel.module("user");
        Thread hostWaiter = reader(user.open("host", OpenFlags.O_RDONLY), "host-waiter");
        Thread ownBlocked = reader(user.open("own", OpenFlags.O_RDONLY), "own-blocked");
        Parked.until(() -> blockedIn(hostWaiter, NodeWait.class.getName()));
        Parked.until(() -> blockedIn(ownBlocked, Driver.class.getName()));

        assertFalse(StuckThreads.runningInDriver(hostWaiter, driver), "waiting for a host node is not a hang");
        assertTrue(StuckThreads.parked(hostWaiter, hostWaiter.getStackTrace()), "it is parked, as a WaitQueue reader is");
        assertEquals(List.of(ownBlocked), StuckThreads.running(driver),
                "a restart abandons only the thread blocked in the driver's own code");
        assertTrue(StuckThreads.runningInDriver(ownBlocked, driver), "blocked in the driver's own code is what a hang is");
        assertFalse(StuckThreads.parked(ownBlocked, ownBlocked.getStackTrace()));
        String said = StuckThreads.describe(driver);
        assertTrue(said.contains("'host-waiter'") && said.contains("'own-blocked'"),
                "a revocation that runs out still names both: " + said);
    }
}
