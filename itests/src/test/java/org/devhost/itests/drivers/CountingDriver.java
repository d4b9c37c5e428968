package org.devhost.itests.drivers;

import java.nio.ByteBuffer;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.devhost.kernel.ChrdevRegion;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.IoctlArg;
import org.devhost.kernel.KernelModule;
import org.devhost.kernel.WaitQueue;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * A test driver that counts. Region {@code itest} on fixed major 300: minor 0 answers reads with
 * one byte, the bundle's major version (so an update is visible) and throws a RuntimeException for
 * a 13-byte read (a driver bug); minor 1 blocks every read in a kernel wait that never becomes
 * ready. Opens and releases are counted and published as a {@code Supplier<int[]>} service.
 * System property {@code itest.deactivate}: {@code throw} makes drop fail. A 7-byte read on minor 0
 * is stuck in the driver, outside any kernel wait, until the {@code CountDownLatch} that the test
 * put in the system properties under {@link #STUCK} is counted down (the one object both class
 * loaders know): a driver operation that does not return.
 */
@KernelModule(name = "itest_counting", description = "counting test driver")
@Component(immediate = true)
public final class CountingDriver implements FileOperations<Void> {
    public static final int MAJOR = 300;
    public static final String STUCK = "itest.stuck.latch";

    private final AtomicInteger opens = new AtomicInteger();
    private final AtomicInteger releases = new AtomicInteger();
    private final ReentrantLock lock = new ReentrantLock();
    private final WaitQueue never;
    private final byte version;
    private final ChrdevRegion region;
    private final ServiceRegistration<?> counters;

    @Activate
    public CountingDriver(@Reference DeviceRegistry registry, BundleContext context) {
        version = (byte) context.getBundle().getVersion().getMajor();
        never = registry.newWaitQueue(lock);
        region = registry.chrdevRegion("itest", MAJOR, 0, 2);
        region.register(this);
        region.register(this);
        Dictionary<String, Object> p = new Hashtable<>();
        p.put("itest.counters", "true");
        Supplier<int[]> s = () -> new int[] {opens.get(), releases.get()};
        counters = context.registerService(Supplier.class.getName(), s, p);
    }

    @Deactivate
    void drop() {
        String how = System.getProperty("itest.deactivate", "");
        if (how.equals("throw")) {
            throw new IllegalStateException("itest_counting: deactivate fails (on purpose)");
        }
        counters.unregister();
        region.close();
    }

    @Override
    public Void open(File file) {
        opens.incrementAndGet();
        return null;
    }

    @Override
    public void release(Void data, File file) {
        releases.incrementAndGet();
    }

    @Override
    public int read(Void data, File file, ByteBuffer dst, long offset) {
        if (file.device().minor() == 1) {
            lock.lock();
            try {
                never.waitUntil(file, () -> false);
            } finally {
                lock.unlock();
            }
        }
        if (dst.remaining() == 7) {
            try {
                ((java.util.concurrent.CountDownLatch) System.getProperties().get(STUCK)).await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (dst.remaining() == 13) {
            throw new IllegalStateException("itest_counting: read bug (on purpose)");
        }
        dst.put(version);
        return 1;
    }

    @Override
    public int write(Void data, File file, ByteBuffer src, long offset) {
        int n = src.remaining();
        src.position(src.limit());
        return n;
    }

    @Override
    public long ioctl(Void data, File file, int cmd, IoctlArg arg) {
        return opens.get();
    }
}
