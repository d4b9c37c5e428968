package org.devhost.fleet;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.devhost.kernel.Device;
import org.devhost.kernel.ModuleManager;
import org.devhost.kernel.ModuleStatus;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * What the edge node reports, read off the running host: every driver module
 * ({@link ModuleManager#modules()}, which takes no lock) and every device (the kernel's {@link
 * Device} services, read from their properties without getting the service). Stateless; each
 * {@link #read} is a fresh, immutable snapshot.
 */
final class HostView {
    private final BundleContext context;
    private final ModuleManager modules;

    HostView(BundleContext context, ModuleManager modules) {
        this.context = context;
        this.modules = modules;
    }

    /**
     * Whether the framework is stopping (the host is going down): then the node says goodbye at
     * once, rather than reporting each driver's devices going one by one as the framework stops them.
     */
    boolean stopping() {
        try {
            return (context.getBundle(0).getState() & (org.osgi.framework.Bundle.STOPPING | org.osgi.framework.Bundle.RESOLVED)) != 0;
        } catch (IllegalStateException e) {
            return true; // our own context is no longer valid
        }
    }

    Snapshot read() {
        Map<String, ModuleView> ms = new TreeMap<>();
        for (ModuleStatus m : modules.modules()) {
            ms.put(m.name(), new ModuleView(m.name(), m.state().label(), m.restarts(), m.version()));
        }
        Map<String, DeviceView> ds = new LinkedHashMap<>();
        List<DeviceView> list = new ArrayList<>();
        ServiceReference<?>[] refs;
        try {
            refs = context.getServiceReferences(Device.class.getName(), null);
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException("no filter given", e);
        } catch (IllegalStateException e) {
            refs = null; // our bundle is stopping
        }
        if (refs != null) {
            for (ServiceReference<?> r : refs) {
                Object name = r.getProperty(Device.NAME);
                if (!(name instanceof String n)) {
                    continue;
                }
                list.add(new DeviceView(n, number(r.getProperty(Device.MAJOR)), number(r.getProperty(Device.MINOR)),
                        String.valueOf(r.getProperty(Device.MODULE)), String.valueOf(r.getProperty(Device.TYPE)),
                        r.getProperty(Device.MODE) instanceof Integer mode ? mode : Device.DEFAULT_MODE,
                        (Long) r.getProperty(org.osgi.framework.Constants.SERVICE_ID)));
            }
        }
        list.sort(Comparator.comparingInt(DeviceView::major).thenComparingInt(DeviceView::minor).thenComparing(DeviceView::name));
        for (DeviceView d : list) {
            ds.putIfAbsent(Topics.deviceId(d.name()), d);
        }
        return new Snapshot(ms, ds);
    }

    private static int number(Object o) {
        return o instanceof Integer i ? i : -1;
    }

    /**
     * @param modules by name, sorted
     * @param devices by Sparkplug device id, in number order
     */
    record Snapshot(Map<String, ModuleView> modules, Map<String, DeviceView> devices) {}

    /** One module: its name, state label ({@code live}, {@code restarting}...), restarts and version. */
    record ModuleView(String name, String state, int restarts, String version) {}

    /**
     * One device; {@code serviceId} tells a device registered again (a module's restart) from the
     * one before it, even when name and number are the same.
     */
    record DeviceView(String name, int major, int minor, String module, String type, int mode, long serviceId) {
        String number() {
            return major + ":" + minor;
        }
    }
}
