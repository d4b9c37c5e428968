package org.devhost.itests.drivers;

import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernelModule;
import org.devhost.kernel.MiscDevice;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * A test driver whose init or drop does not return while the test holds it: the system property
 * {@link #HOLD_INIT} or {@link #HOLD_DROP} holds a {@code CountDownLatch} (a JDK object, shared
 * across class loaders) that the step waits on, swallowing interrupts, as a driver deadlocked in
 * its own code would. A test releases it with {@code countDown()}. In a host of its own, started
 * with {@code -Ditest.stuck.drop.forever=true} (or {@code .init.}), the step never returns.
 */
@KernelModule(name = "itest_stuck", description = "init or drop that hangs on demand")
@Component(immediate = true)
public final class StuckLifecycle {
    public static final String HOLD_INIT = "itest.stuck.init";
    public static final String HOLD_DROP = "itest.stuck.drop";

    @Activate
    public StuckLifecycle(@Reference DeviceRegistry registry) {
        hold(HOLD_INIT);
        registry.registerMisc("itest_stuck", MiscDevice.DYNAMIC_MINOR, new FileOperations<Void>() {
            @Override
            public Void open(File file) {
                return null;
            }
        });
    }

    @Deactivate
    void drop() {
        hold(HOLD_DROP);
    }

    private static void hold(String key) {
        Object latch = Boolean.getBoolean(key + ".forever") ? new java.util.concurrent.CountDownLatch(1)
                : System.getProperties().get(key);
        if (latch == null) {
            return;
        }
        while (true) {
            try {
                ((java.util.concurrent.CountDownLatch) latch).await();
                return;
            } catch (InterruptedException ignored) {
                // a deadlocked driver does not notice
            }
        }
    }
}
