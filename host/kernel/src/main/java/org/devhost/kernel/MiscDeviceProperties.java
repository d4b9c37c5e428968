package org.devhost.kernel;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * The one-class driver (Rust-for-Linux's {@code module_misc_device!}): a Declarative Services
 * component that provides {@link FileOperations} and carries these properties is a misc device for
 * as long as its service exists. The kernel registers the device when the service appears, owned
 * by the component's bundle exactly as {@link DeviceRegistry#registerMisc} would, and unregisters
 * it (revoking open files) when the service goes. A typo in a property name is a compile error.
 *
 * <pre>{@code
 * @KernelModule(name = "hello", license = "GPL")
 * @MiscDeviceProperties(name = "hello")
 * @Component(service = FileOperations.class)
 * public final class Hello implements FileOperations<Void> {
 *     public Void open(File file) { return null; }
 * }
 * }</pre>
 *
 * <p>Only services that carry {@link #NAME} are taken up: a component that implements {@code
 * FileOperations} and registers its devices itself is published as a {@code FileOperations}
 * service too (Declarative Services registers every interface a component implements), and stays
 * one device, not two. A device the kernel refuses (a name taken: EEXIST; a fixed minor taken:
 * EBUSY) is not registered, and the kernel log says why under the module's name.
 *
 * <p>Build-time only (class retention; bnd writes the properties into the component's
 * description); the device's invariants are {@link MiscDevice}'s.
 *
 * @since 1.2
 */
@ComponentPropertyType
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface MiscDeviceProperties {
    /** Property names start with this (a component property type's prefix). */
    String PREFIX_ = "devhost.misc.";
    /** The service property that names the device: what the kernel looks for. */
    String NAME = "devhost.misc.name";
    /** The service property that asks for a fixed minor (absent or {@link MiscDevice#DYNAMIC_MINOR}: dynamic). */
    String MINOR = "devhost.misc.minor";
    /**
     * The service property that gives the node's permission bits (absent: {@link
     * Device#DEFAULT_MODE}; outside 0..0777: the device is refused with EINVAL and the log says so).
     *
     * @since 1.3
     */
    String MODE = "devhost.misc.mode";

    /** The device name, as {@code dev:ls} shows it and {@code /dev/<name>} would be. */
    String name();

    /** A fixed misc minor, or {@link MiscDevice#DYNAMIC_MINOR} for one from 256 up. */
    int minor() default MiscDevice.DYNAMIC_MINOR;

    /**
     * The permission bits of the device's node, 0 to 0777 ({@link Device#mode()}); write it in
     * octal, {@code mode = 0666}.
     *
     * @since 1.3
     */
    int mode() default Device.DEFAULT_MODE;
}
