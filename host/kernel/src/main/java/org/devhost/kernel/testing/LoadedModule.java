package org.devhost.kernel.testing;

import java.util.Map;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.MiscDevice;

/**
 * A driver component loaded by {@link TestKernel#load(Class, String...)} as the host loads it:
 * its module name from {@code @KernelModule}, the properties its init got, the instance that init
 * made, and its module's registry (what it registered, and what the one-class form registered for
 * it). {@link TestKernel#unload(LoadedModule)} takes it away as a bundle stop does. Immutable.
 *
 * @param <C> the component's class
 */
public final class LoadedModule<C> {
    private final String name;
    private final C component;
    private final DeviceRegistry registry;
    private final Map<String, Object> properties;
    private final MiscDevice misc;
    private final ComponentLoader.Description description;

    LoadedModule(String name, C component, DeviceRegistry registry, Map<String, Object> properties, MiscDevice misc,
            ComponentLoader.Description description) {
        this.name = name;
        this.component = component;
        this.registry = registry;
        this.properties = properties;
        this.misc = misc;
        this.description = description;
    }

    /** The module's name, from the class's {@code @KernelModule} (what {@code dev:lsmod} shows). */
    public String name() {
        return name;
    }

    /** The instance the component's init (its {@code @Activate} constructor or method) made. */
    public C component() {
        return component;
    }

    /** The module's registry: what the component registered is there, and goes with {@link TestKernel#unload(LoadedModule)}. */
    public DeviceRegistry registry() {
        return registry;
    }

    /** The component's properties as its init got them: its own, then the parameters, typed by its Metatype. */
    public Map<String, Object> properties() {
        return properties;
    }

    /** The misc device the one-class form ({@code @MiscDeviceProperties}) registered, or null for a component that registers its own. */
    public MiscDevice miscDevice() {
        return misc;
    }

    ComponentLoader.Description description() {
        return description;
    }
}
