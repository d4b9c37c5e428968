package org.devhost.itests;

import java.util.Collection;
import java.util.function.Supplier;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.KernelLog;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;

/** What the tests inside the framework reach for: services, bundles, the counting driver's counters. */
final class Probe {
    final BundleContext context;

    Probe(Class<?> test) throws InterruptedException {
        context = FrameworkUtil.getBundle(test).getBundleContext();
        Await.until("kernel services", () -> context.getServiceReference(DeviceRegistry.class) != null
                && context.getServiceReference(KernelLog.class) != null);
    }

    <T> T service(Class<T> type) throws InterruptedException {
        Await.until(type.getSimpleName(), () -> context.getServiceReference(type) != null);
        return context.getService(context.getServiceReference(type));
    }

    DeviceRegistry registry() throws InterruptedException {
        return service(DeviceRegistry.class);
    }

    Bundle bundle(String bsn) {
        for (Bundle b : context.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("no bundle " + bsn);
    }

    /** {opens, releases} of the counting driver now active. */
    @SuppressWarnings("unchecked")
    Supplier<int[]> counters() throws Exception {
        Await.until("counting driver", () -> {
            try {
                Collection<ServiceReference<Supplier>> r = context.getServiceReferences(Supplier.class, "(itest.counters=true)");
                return !r.isEmpty();
            } catch (Exception e) {
                return false;
            }
        });
        return context.getService(context.getServiceReferences(Supplier.class, "(itest.counters=true)").iterator().next());
    }

    static KernelException expect(Runnable r) {
        try {
            r.run();
        } catch (KernelException e) {
            return e;
        }
        throw new AssertionError("expected a KernelException");
    }
}
