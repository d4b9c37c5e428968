package org.devhost.kernel.impl.registry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.devhost.kernel.Device;
import org.devhost.kernel.Errno;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.MiscDeviceProperties;
import org.devhost.kernel.impl.chrdev.MiscDeviceImpl;
import org.devhost.kernel.impl.chrdev.ModuleContext;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * Registers a misc device for every {@link FileOperations} service that carries {@link
 * MiscDeviceProperties} (the whiteboard), and unregisters it when the service goes.
 *
 * <p>Ownership: the device belongs to the module of the service's bundle, in the same module
 * context that bundle's {@code DeviceRegistry} uses (so its wait queues are woken when the device
 * is revoked, and a forced unload takes both). Order on removal: the framework calls {@link
 * #remove} while the service unregisters, before the component is deactivated, so revocation
 * (in-flight operations finish, files release) runs while the driver instance is still active.
 * Thread-safe: {@code published} is concurrent; each reference is added and removed once.
 */
@Component(immediate = true)
public final class MiscWhiteboard {
    private record Published(Bundle bundle, ModuleContext module, MiscDeviceImpl device) {}

    private final KernelCore core;
    private final BundleContext context;
    private final Map<ServiceReference<?>, Published> published = new ConcurrentHashMap<>();

    @Activate
    public MiscWhiteboard(@Reference KernelCore core, BundleContext context) {
        this.core = core;
        this.context = context;
    }

    @Reference(service = FileOperations.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, target = "(" + MiscDeviceProperties.NAME + "=*)")
    void add(ServiceReference<FileOperations<?>> ref) {
        Bundle bundle = ref.getBundle();
        if (bundle == null) {
            return; // unregistered already
        }
        String name = String.valueOf(ref.getProperty(MiscDeviceProperties.NAME));
        Object m = ref.getProperty(MiscDeviceProperties.MINOR);
        Object md = ref.getProperty(MiscDeviceProperties.MODE);
        ModuleContext module = core.attach(bundle);
        FileOperations<?> ops = null;
        boolean done = false;
        try {
            int minor = m == null ? MiscDevice.DYNAMIC_MINOR : Integer.parseInt(m.toString().trim());
            int mode = md == null ? Device.DEFAULT_MODE : mode(md);
            ops = context.getService(ref); // activates a delayed component: its init runs here
            if (ops == null) {
                throw new IllegalStateException("its component did not activate (see the log above)");
            }
            this.published.put(ref, new Published(bundle, module, MiscDeviceImpl.register(module, name, minor, mode, ops)));
            done = true;
        } catch (RuntimeException | LinkageError e) {
            String why = e instanceof KernelException ? e.getMessage() : e.toString();
            module.log("ERROR", "misc device " + name + " from the whiteboard not registered: " + why, null);
        } finally {
            if (!done) {
                // nothing of the attempt stays: the service given back, the module's count undone
                if (ops != null) {
                    context.ungetService(ref);
                }
                core.detach(bundle, module);
            }
        }
    }

    /**
     * The mode property: an Integer (what {@link MiscDeviceProperties#mode()} writes), or a String
     * in octal with a leading 0 ({@code "0666"}) or decimal, for a hand-written service property.
     */
    static int mode(Object value) {
        if (value instanceof Number n) {
            return n.intValue();
        }
        String s = value.toString().trim();
        try {
            return Integer.decode(s);
        } catch (NumberFormatException e) {
            throw new KernelException(Errno.EINVAL, MiscDeviceProperties.MODE + "=" + s
                    + " is not a number; give permission bits 0 to 0777, e.g. 0666");
        }
    }

    void remove(ServiceReference<FileOperations<?>> ref) {
        Published p = published.remove(ref);
        if (p == null) {
            return; // it was refused when it came
        }
        try {
            p.device().close(); // revoke: new opens ENODEV, waiters wake, files release, the minor is free
        } finally {
            context.ungetService(ref);
            core.detach(p.bundle(), p.module());
        }
    }

    @Deactivate
    void deactivate() {
        published.keySet().forEach(this::removeAny);
    }

    @SuppressWarnings("unchecked")
    private void removeAny(ServiceReference<?> ref) {
        remove((ServiceReference<FileOperations<?>>) ref);
    }
}
