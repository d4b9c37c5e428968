package org.devhost.itests.drivers;

import java.nio.ByteBuffer;
import org.devhost.kernel.ChrdevRegion;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernelModule;
import org.devhost.kernel.MiscDevice;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * A test driver whose read throws every time (a driver bug): a misc device and a one-minor region
 * on a dynamic major, so a test can see both kinds of number survive a supervised restart.
 *
 * <p>A test can hold an init before it asks for numbers: it puts into the system properties under
 * {@link #GATE} two latches {entered, release} (JDK objects, not strings, so
 * the driver's fresh class loader after a restart sees the same ones); init counts down the
 * first and waits for the second.
 */
@KernelModule(name = "itest_faulty", description = "read throws every time")
@Component(immediate = true)
public final class FaultyRead {
    public static final String GATE = "itest.faulty.gate";

    @Activate
    public FaultyRead(@Reference DeviceRegistry registry) throws InterruptedException {
        Object gate = System.getProperties().get(GATE);
        if (gate != null) {
            java.util.concurrent.CountDownLatch[] latches = (java.util.concurrent.CountDownLatch[]) gate;
            latches[0].countDown();
            latches[1].await(60, java.util.concurrent.TimeUnit.SECONDS);
        }
        FileOperations<Void> ops = new FileOperations<>() {
            @Override
            public Void open(File file) {
                return null;
            }

            @Override
            public int read(Void data, File file, ByteBuffer dst, long offset) {
                throw new IllegalStateException("itest_faulty: read fails (on purpose)");
            }
        };
        registry.registerMisc("itest_faulty", MiscDevice.DYNAMIC_MINOR, ops);
        ChrdevRegion region = registry.chrdevRegion("itest_faulty_region", DeviceRegistry.DYNAMIC_MAJOR, 0, 1);
        region.register(ops);
    }
}
