package org.devhost.kernel.impl.registry;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.devhost.kernel.Device;
import org.devhost.kernel.ModuleInfo;
import org.devhost.kernel.impl.chrdev.DeviceTable;
import org.devhost.kernel.impl.chrdev.KernelListener;
import org.devhost.kernel.impl.chrdev.ModuleContext;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

/**
 * The kernel singleton inside the framework: owns the {@link DeviceTable}, publishes each device as
 * an OSGi service, posts device events, and writes the kernel's own log lines.
 *
 * <p>Lifecycle: the per-bundle registries depend on it, so SCR deactivates them (releasing their
 * modules) before it; whatever is still registered when it deactivates is released here.
 */
@Component(service = KernelCore.class, immediate = true)
public final class KernelCore implements KernelListener {
    /** Framework property: how long revocation waits for operations in flight, in milliseconds. */
    public static final String REVOKE_TIMEOUT_PROPERTY = "devhost.revoke.timeout.ms";
    static final long DEFAULT_REVOKE_TIMEOUT_MS = 5000;
    /**
     * Framework property set only in an isolated module's process (the host's socket): there the
     * host supervises, and this kernel's own supervisor stays out of the way.
     */
    public static final String SATELLITE_PROPERTY = "devhost.isolation.socket";

    private final Map<Device, ServiceRegistration<Device>> services = new ConcurrentHashMap<>();
    private final Map<Bundle, ModuleContext> modules = new ConcurrentHashMap<>();
    private BundleContext context;
    private DeviceTable table;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile EventAdmin events;

    /** Where driver faults go; set by the supervisor while it runs (it depends on this component, not the reverse). */
    private volatile Supervision supervisor;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile LoggerFactory loggers;

    @Activate
    public void activate(BundleContext context) {
        this.context = context;
        long timeout = DEFAULT_REVOKE_TIMEOUT_MS;
        String t = context.getProperty(REVOKE_TIMEOUT_PROPERTY);
        if (t != null) {
            try {
                timeout = Long.parseLong(t.trim());
            } catch (NumberFormatException e) {
                timeout = -1;
            }
            if (timeout < 0) {
                // a typo must not take the kernel down, nor turn the bounded wait into none
                log("WARN", "kernel", REVOKE_TIMEOUT_PROPERTY + "=" + t + " is not a number of milliseconds (0 or more);"
                        + " using " + DEFAULT_REVOKE_TIMEOUT_MS, null);
                timeout = DEFAULT_REVOKE_TIMEOUT_MS;
            }
        }
        this.table = new DeviceTable(this, timeout);
    }

    @Deactivate
    void deactivate() {
        for (ModuleContext m : modules.values()) {
            m.release();
        }
        modules.clear();
    }

    /**
     * The module context of a bundle, shared by everything that works for that bundle (its
     * registry instance, its whiteboard devices): made on first use, counted, and released when
     * the last user lets go. Sharing matters: a whiteboard device's revocation must wake the wait
     * queues the same bundle made through its registry.
     */
    public ModuleContext attach(Bundle bundle) {
        synchronized (modules) {
            ModuleContext m = modules.get(bundle);
            if (m == null || m.isReleased()) {
                m = new ModuleContext(moduleName(bundle), table);
                modules.put(bundle, m);
            }
            m.retain();
            return m;
        }
    }

    /** The module context of a bundle that uses the kernel, if any. */
    public ModuleContext module(Bundle bundle) {
        return modules.get(bundle);
    }

    /** One user of the bundle's context is done; the last one releases everything the module holds. */
    public void detach(Bundle bundle, ModuleContext module) {
        boolean last;
        synchronized (modules) {
            last = module.unretain();
            if (last) {
                modules.remove(bundle, module);
            }
        }
        if (last) {
            module.release(); // outside the lock: revocation waits
        }
    }

    public void supervisor(Supervision s) {
        supervisor = s;
    }

    public Supervision supervisor() {
        return supervisor;
    }

    public DeviceTable table() {
        return table;
    }

    @Override
    public void driverFault(String module, String operation, Throwable error) {
        Supervision s = supervisor;
        if (s != null) {
            s.driverFault(module, operation, error);
        }
    }

    /** Every registered device, by number. */
    public java.util.List<Device> devices() {
        return table.devices();
    }

    static String moduleName(Bundle bundle) {
        return ModuleInfo.nameOf(bundle);
    }

    // ---- KernelListener ----

    @Override
    public void deviceAdded(Device device) {
        Dictionary<String, Object> props = properties(device);
        services.put(device, context.registerService(Device.class, device, props));
        post(Device.TOPIC_ADDED, props);
        log("INFO", device.module(), "registered " + device.type().label() + " device " + device.name() + " " + device.number(), null);
    }

    @Override
    public void deviceRemoved(Device device) {
        ServiceRegistration<Device> reg = services.remove(device);
        if (reg != null) {
            try {
                reg.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the kernel bundle is stopping and the framework unregistered it first
            }
        }
        post(Device.TOPIC_REMOVED, properties(device));
        log("INFO", device.module(), "removed device " + device.name() + " " + device.number(), null);
    }

    @Override
    public void log(String level, String module, String message, Throwable error) {
        LoggerFactory f = loggers;
        if (f == null) {
            return;
        }
        Logger l = f.getLogger(module);
        switch (level) {
            case "ERROR" -> l.error("{}", message, error);
            case "WARN" -> l.warn("{}", message, error);
            case "DEBUG" -> l.debug("{}", message, error);
            default -> l.info("{}", message, error);
        }
    }

    private void post(String topic, Dictionary<String, Object> props) {
        EventAdmin ea = events;
        if (ea != null) {
            ea.postEvent(new Event(topic, props));
        }
    }

    /** The service and event properties of a device (package-private for tests). */
    static Dictionary<String, Object> properties(Device d) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put(Device.NAME, d.name());
        p.put(Device.MAJOR, d.number().major());
        p.put(Device.MINOR, d.number().minor());
        p.put(Device.TYPE, d.type().label());
        p.put(Device.MODULE, d.module());
        p.put(Device.MODE, d.mode());
        return p;
    }
}
