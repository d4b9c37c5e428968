package org.devhost.shell;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.devhost.kernel.ModuleInfo;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;

/** Driver modules as the framework holds them: finding one by name, and who uses it. */
final class Modules {
    private Modules() {}

    /** The installed bundle whose module name (or, for a driver, bundle id) this is. */
    static Optional<Bundle> find(BundleContext context, String nameOrId) {
        Optional<Bundle> byName = ModuleInfo.find(context, nameOrId);
        if (byName.isPresent() || !nameOrId.matches("\\d+")) {
            return byName;
        }
        return Optional.ofNullable(context.getBundle(Long.parseLong(nameOrId))).filter(b -> ModuleInfo.of(b).isPresent());
    }

    /** Other driver modules wired to packages this bundle exports: lsmod's "Used by", what rmmod refuses on. */
    static List<String> users(Bundle b) {
        List<String> names = new ArrayList<>();
        BundleWiring w = b.adapt(BundleWiring.class);
        if (w != null) {
            for (BundleWire wire : w.getProvidedWires(null)) {
                Bundle user = wire.getRequirer().getBundle();
                Optional<ModuleInfo> info = ModuleInfo.of(user);
                if (user != b && info.isPresent() && !names.contains(info.get().name())) {
                    names.add(info.get().name());
                }
            }
        }
        return names;
    }
}
