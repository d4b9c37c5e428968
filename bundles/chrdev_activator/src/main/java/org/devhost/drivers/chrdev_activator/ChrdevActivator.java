package org.devhost.drivers.chrdev_activator;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.devhost.kernel.ChrdevRegion;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.KernelModule;
import org.osgi.annotation.bundle.Header;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;

/**
 * A character device driver with no Declarative Services: a plain {@link BundleActivator}, for
 * authors who read "an activator for init" literally. devhost's own sample (no Linux original): it
 * is {@code rust_chrdev} in this form, plus a read, so there is something to use. {@code start} is
 * init: it takes the registry from the bundle context and reserves two minors under a dynamic
 * major, {@code chrdev_activator0} and {@code 1}; each reads back one line naming its minor, then
 * end of file. {@code stop} is drop: it closes the region and gives the registry back.
 *
 * <p>Ownership and revocation are exactly a DS driver's: the registry is a bundle-scoped service,
 * so what this bundle registered is its module's, and when the bundle stops the kernel revokes and
 * frees whatever is left, whether or not {@code stop} remembered to close it. Thread-safe: the
 * fields are written in {@code start} before any device is visible, and the file operations keep
 * per-file state only.
 */
@KernelModule(name = "chrdev_activator", author = "devhost", description = "A character device driver as a plain BundleActivator",
        license = "GPL")
@Header(name = Constants.BUNDLE_ACTIVATOR, value = "${@class}")
public final class ChrdevActivator implements BundleActivator {
    /** Each file reads its line once: the per-file data is how much of it was read. */
    static final class Greeting implements FileOperations<int[]> {
        @Override
        public int[] open(File file) {
            return new int[1];
        }

        @Override
        public int read(int[] done, File file, ByteBuffer dst, long offset) {
            byte[] line = ("chrdev_activator: minor " + file.device().minor() + "\n").getBytes(StandardCharsets.US_ASCII);
            int n = Math.min(dst.remaining(), line.length - done[0]);
            dst.put(line, done[0], n);
            done[0] += n;
            return n;
        }
    }

    private ServiceReference<DeviceRegistry> ref;
    private ChrdevRegion region;

    @Override
    public void start(BundleContext context) {
        ref = context.getServiceReference(DeviceRegistry.class);
        DeviceRegistry registry = ref == null ? null : context.getService(ref);
        if (registry == null) {
            throw new KernelException(Errno.ENODEV, "chrdev_activator: no kernel (DeviceRegistry service) to register with");
        }
        region = registry.chrdevRegion("chrdev_activator", DeviceRegistry.DYNAMIC_MAJOR, 0, 2);
        region.register(new Greeting());
        region.register(new Greeting());
    }

    @Override
    public void stop(BundleContext context) {
        region.close();
        context.ungetService(ref);
    }
}
