package org.devhost.kernel;

import java.util.Set;

/**
 * A registered character device, as listings and the OSGi service registry show it.
 *
 * <p>Every device is also published as an OSGi service of this type with the properties below, and
 * its arrival and departure are posted to Event Admin under {@link #TOPIC_ADDED} and
 * {@link #TOPIC_REMOVED} with the same properties. Implementations are thread-safe; {@link
 * #openCount()} is a live value, the rest never changes. Implemented by the kernel only (a provider
 * type).
 */
@org.osgi.annotation.versioning.ProviderType
public interface Device {
    /** Service and event property: the device name (String). */
    String NAME = "device.name";
    /** Service and event property: the major number (Integer). */
    String MAJOR = "device.major";
    /** Service and event property: the minor number (Integer). */
    String MINOR = "device.minor";
    /** Service and event property: {@link DeviceType#label()} (String). */
    String TYPE = "device.type";
    /** Service and event property: the owning module's name (String). */
    String MODULE = "device.module";
    /**
     * Service and event property: {@link #mode()}, the permission bits (Integer).
     *
     * @since 1.3
     */
    String MODE = "device.mode";

    /**
     * The mode a device gets when its driver names none: read and write for the owner only, as a
     * device node {@code devtmpfs} makes without a driver-given mode.
     *
     * @since 1.3
     */
    int DEFAULT_MODE = 0600;

    String TOPIC_ADDED = "org/devhost/kernel/device/ADDED";
    String TOPIC_REMOVED = "org/devhost/kernel/device/REMOVED";

    String name();

    DeviceNumber number();

    DeviceType type();

    /** The name of the module (driver bundle) that registered it. */
    String module();

    /** The operations the driver implements (always including {@link Operation#OPEN}). */
    Set<Operation> operations();

    /** Files currently open on it. */
    int openCount();

    /**
     * The permission bits of the device's node, 0 to 0777 ({@code miscdevice.mode}, the
     * {@code mode} of a {@code mem.c} devlist row): what a file system that shows the device
     * (devfs) gives its node. The kernel's own {@link DeviceRegistry#open} does not check them:
     * callers in the JVM are trusted code.
     *
     * @since 1.3
     */
    int mode();

    /**
     * A character device's mode as {@code ls -l} shows it: {@code crw-rw-rw-} for 0666 (what
     * {@code dev:ls} and the web console's Devices page print).
     *
     * @since 1.5
     */
    static String modeString(int mode) {
        StringBuilder sb = new StringBuilder("c");
        String letters = "rwx";
        for (int bit = 8; bit >= 0; bit--) {
            sb.append((mode & (1 << bit)) != 0 ? letters.charAt(2 - bit % 3) : '-');
        }
        return sb.toString();
    }
}
