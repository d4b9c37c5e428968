package org.devhost.kernel;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRevision;

/**
 * A driver bundle's module metadata, read back from the manifest that {@link KernelModule} wrote.
 *
 * <p>Immutable value.
 */
public record ModuleInfo(String name, String author, String description, String license, List<String> alias,
        List<String> readonly) {

    /** The metadata of a bundle, or empty when the bundle is not a driver module (or is uninstalled). */
    public static Optional<ModuleInfo> of(Bundle bundle) {
        BundleRevision revision = bundle.adapt(BundleRevision.class);
        if (revision == null) {
            return Optional.empty();
        }
        List<BundleCapability> caps = revision.getDeclaredCapabilities(KernelModule.NAMESPACE);
        if (caps.isEmpty()) {
            return Optional.empty();
        }
        Map<String, Object> a = caps.get(0).getAttributes();
        return Optional.of(new ModuleInfo(String.valueOf(a.get(KernelModule.NAMESPACE)), text(a, KernelModule.AUTHOR),
                text(a, KernelModule.DESCRIPTION), text(a, KernelModule.LICENSE), list(a.get(KernelModule.ALIAS)),
                list(a.get(KernelModule.READONLY))));
    }

    /** The installed bundle that is the module of this name, if any. */
    public static Optional<Bundle> find(BundleContext context, String module) {
        for (Bundle b : context.getBundles()) {
            if (of(b).map(i -> i.name().equals(module)).orElse(false)) {
                return Optional.of(b);
            }
        }
        return Optional.empty();
    }

    /** The module name of a bundle: its {@link KernelModule} name, or else its symbolic name. */
    public static String nameOf(Bundle bundle) {
        return of(bundle).map(ModuleInfo::name).orElseGet(bundle::getSymbolicName);
    }

    private static List<String> list(Object value) {
        if (value instanceof List<?> l) {
            return l.stream().map(String::valueOf).filter(s -> !s.isEmpty()).toList();
        }
        return value == null || value.toString().isEmpty() ? List.of() : List.of(value.toString());
    }

    private static String text(Map<String, Object> attrs, String key) {
        Object v = attrs.get(key);
        return v == null ? "" : v.toString();
    }
}
