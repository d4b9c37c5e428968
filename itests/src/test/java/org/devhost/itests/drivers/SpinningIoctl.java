package org.devhost.itests.drivers;

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
 * A test driver whose ioctl spins (runnable, never parked in a kernel wait) until the system
 * property {@link #RELEASE} is set: a hang, as the watchdog must see it. The property is there
 * only so that the test can stop the abandoned thread at its end instead of leaving a core busy.
 *
 * <p>A test can hold an init: it puts into the system properties under {@link #GATE} two
 * latches {entered, release} (JDK objects, shared across the restart's fresh class loader); init
 * counts down the first and waits for the second.
 */
@KernelModule(name = "itest_hang", description = "ioctl spins")
@Component(immediate = true)
public final class SpinningIoctl {
    public static final String RELEASE = "itest.hang.release";
    public static final String GATE = "itest.hang.gate";

    @Activate
    public SpinningIoctl(@Reference DeviceRegistry registry) throws InterruptedException {
        Object gate = System.getProperties().get(GATE);
        if (gate != null) {
            java.util.concurrent.CountDownLatch[] latches = (java.util.concurrent.CountDownLatch[]) gate;
            latches[0].countDown();
            latches[1].await(60, java.util.concurrent.TimeUnit.SECONDS);
        }
        registry.registerMisc("itest_hang", MiscDevice.DYNAMIC_MINOR, new FileOperations<Void>() {
            @Override
            public Void open(File file) {
                return null;
            }

            @Override
            public long ioctl(Void data, File file, int cmd, IoctlArg arg) {
                while (!Boolean.getBoolean(RELEASE)) {
                    Thread.onSpinWait();
                }
                return 0;
            }
        });
    }
}
