package org.devhost.kernel;

import java.util.Set;

/**
 * A registered character device, as listings and the OSGi service registry show it.
 *
 * <p>Every device is also published as an OSGi service of this type with the properties below, and
 * its arrival and departure are posted to Event Admin under {@link #TOPIC_ADDED} and
 * {@link #TOPIC_REMOVED} with the same properties. Implementations are thread-safe; {@link
 * #openCount()} is a live value, the rest never changes.
 */
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
}
