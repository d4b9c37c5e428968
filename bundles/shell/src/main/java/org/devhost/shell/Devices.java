package org.devhost.shell;

import org.devhost.kernel.Device;
import org.devhost.kernel.DeviceNumber;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.OpenFile;

/** Device names as commands take them: {@code zero}, {@code /dev/zero} or {@code 1:5}. */
final class Devices {
    private Devices() {}

    /**
     * A device argument that must be there. Gogo reads the bare word {@code null} as its null
     * value, so {@code dev:cat null} arrives here as nothing at all; the message says how to name
     * that device.
     */
    static String named(String command, String name) {
        if (name == null) {
            throw new KernelException(Errno.EINVAL, "dev:" + command + ": no device given (Gogo reads a bare null as"
                    + " its null value: name the null device /dev/null or 'null')");
        }
        return name;
    }

    static String stripDev(String name) {
        return name.startsWith("/dev/") ? name.substring(5) : name;
    }

    static boolean isNumber(String name) {
        return name.matches("\\d+:\\d+");
    }

    /** Refuses paths outside /dev: the registry's devices have names, not file paths. */
    static String checked(String name) {
        String n = stripDev(name);
        if (n.contains("/")) {
            throw new KernelException(Errno.EINVAL, "open " + name
                    + ": not a device; give a name from dev:ls, /dev/<name> or major:minor");
        }
        return n;
    }

    /** The device, or ENXIO (a number) / ENOENT (a name) saying it is not there. */
    static Device find(DeviceRegistry registry, String name) {
        String n = checked(name);
        if (isNumber(n)) {
            DeviceNumber number = DeviceNumber.parse(n);
            return registry.device(number).orElseThrow(() -> new KernelException(Errno.ENXIO, "open " + number));
        }
        return registry.device(n).orElseThrow(() -> new KernelException(Errno.ENOENT, "open " + n));
    }

    static OpenFile open(DeviceRegistry registry, String name, int flags) {
        String n = checked(name);
        return isNumber(n) ? registry.open(DeviceNumber.parse(n), flags) : registry.open(n, flags);
    }

    /** How a device is shown in messages: {@code /dev/name}, or the number as given. */
    static String shown(String name) {
        String n = stripDev(name);
        return isNumber(n) || n.startsWith("/") ? n : "/dev/" + n;
    }
}
