package org.devhost.itests.drivers;

import java.nio.ByteBuffer;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.IoctlArg;
import org.devhost.kernel.KernelModule;
import org.devhost.kernel.MiscDevice;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * A test driver whose read and ioctl never return by themselves, the two ways a driver can hold
 * a caller that no interrupt reaches: {@code itest_spin} busy-loops (runnable, never parked), and
 * {@code itest_sleep} sleeps in a loop that swallows {@link InterruptedException} (parked, but not
 * in a kernel wait). Both ignore interrupts and revocation; they return only when the test sets
 * the system property {@link #RELEASE}, so that it can stop the threads devfs abandoned instead
 * of leaving a core busy. Both devices are 0666, so that another user's clients can be stuck too.
 */
@KernelModule(name = "itest_devfs_stuck", description = "read and ioctl spin or sleep, ignoring interrupts")
@Component(immediate = true)
public final class StuckDriver {
    public static final String RELEASE = "itest.devfs.stuck.release";

    @Activate
    public StuckDriver(@Reference DeviceRegistry registry) {
        registry.registerMisc("itest_spin", MiscDevice.DYNAMIC_MINOR, 0666, new Stuck(true));
        registry.registerMisc("itest_sleep", MiscDevice.DYNAMIC_MINOR, 0666, new Stuck(false));
    }

    private static final class Stuck implements FileOperations<Void> {
        private final boolean spin;

        Stuck(boolean spin) {
            this.spin = spin;
        }

        @Override
        public Void open(File file) {
            return null;
        }

        @Override
        public int read(Void data, File file, ByteBuffer dst, long offset) {
            hold();
            return 0;
        }

        @Override
        public long ioctl(Void data, File file, int cmd, IoctlArg arg) {
            hold();
            return 0;
        }

        private void hold() {
            while (!Boolean.getBoolean(RELEASE)) {
                if (spin) {
                    Thread.onSpinWait();
                } else {
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException ignored) {
                        // the bug on purpose: the interrupt is dropped and the wait goes on
                    }
                }
            }
        }
    }
}
