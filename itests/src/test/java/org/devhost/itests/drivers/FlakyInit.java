package org.devhost.itests.drivers;

import java.nio.ByteBuffer;
import java.util.Map;
import org.devhost.kernel.ChrdevRegion;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernelModule;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * A test driver whose init fails on demand. Its init fails while the system property {@link #LEFT}
 * is above 0 (counting it down, so it survives the fresh class loader of a restart) or -1
 * (for ever), and while its configuration (PID {@code itest_flaky}) says {@code broken=true}.
 * Its read throws, so a test can make it crash once it is up; it has a region on a dynamic major.
 * Every init counts itself in the system property {@link #INITS} and adds the time it began
 * ({@link System#nanoTime()}) to {@link #TIMES}, comma-separated.
 */
@KernelModule(name = "itest_flaky", description = "init fails on demand")
@Component(immediate = true, configurationPid = "itest_flaky")
public final class FlakyInit {
    public static final String LEFT = "itest.flaky.left";
    public static final String INITS = "itest.flaky.inits";
    public static final String TIMES = "itest.flaky.times";

    @Activate
    public FlakyInit(@Reference DeviceRegistry registry, Map<String, Object> config) {
        System.setProperty(INITS, String.valueOf(Integer.getInteger(INITS, 0) + 1));
        String times = System.getProperty(TIMES);
        System.setProperty(TIMES, (times == null ? "" : times + ",") + System.nanoTime());
        ChrdevRegion region = registry.chrdevRegion("itest_flaky", DeviceRegistry.DYNAMIC_MAJOR, 0, 1);
        region.register(new FileOperations<Void>() {
            @Override
            public Void open(File file) {
                return null;
            }

            @Override
            public int read(Void data, File file, ByteBuffer dst, long offset) {
                throw new IllegalStateException("itest_flaky: read fails (on purpose)");
            }
        });
        if (Boolean.parseBoolean(String.valueOf(config.get("broken")))) {
            throw new IllegalStateException("itest_flaky: configured broken=true (on purpose)");
        }
        int left = Integer.getInteger(LEFT, 0);
        if (left != 0) {
            if (left > 0) {
                System.setProperty(LEFT, String.valueOf(left - 1));
            }
            throw new IllegalStateException("itest_flaky: init fails (on purpose), " + left + " to go");
        }
    }
}
