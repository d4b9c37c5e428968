package org.devhost.drivers.hostdev;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.devhost.hal.KnownIoctl;
import org.devhost.hal.KnownIoctls;
import org.devhost.hal.RefusedIoctl;
import org.devhost.hal.RefusedIoctls;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;

/**
 * Which ioctls hostdev forwards to one node, and how their argument goes: the HAL's table
 * ({@link KnownIoctls}) plus the node's own entries from configuration ({@code ioctls}, entries
 * {@code name=command:kind[:size]}). Any other command is ENOTTY, with the line to configure to
 * allow it. A configured entry replaces the table's for its command; the HAL still refuses a
 * description smaller than what it knows, and {@link RefusedIoctls} whatever is configured.
 * Immutable; thread-safe.
 */
final class IoctlGate {
    private final String device;
    private final Map<Integer, KnownIoctl> extra;

    IoctlGate(String device, Map<Integer, KnownIoctl> extra) {
        this.device = device;
        this.extra = Map.copyOf(extra);
    }

    /**
     * The description of {@code cmd} to forward by; EPERM for a command the HAL never sends, ENOTTY
     * saying how to allow any other unknown one.
     */
    KnownIoctl describe(int cmd) {
        Optional<RefusedIoctl> refused = RefusedIoctls.of(cmd);
        if (refused.isPresent()) {
            throw new KernelException(Errno.EPERM, "ioctl " + refused.get().name() + " (0x" + Integer.toHexString(cmd)
                    + ") on " + device + ": refused, it " + refused.get().reason() + "; no configuration allows it");
        }
        KnownIoctl k = extra.get(cmd);
        if (k != null) {
            return k;
        }
        return KnownIoctls.byValue(cmd).orElseThrow(() -> new KernelException(Errno.ENOTTY, "ioctl 0x"
                + Integer.toHexString(cmd) + " on " + device + ": hostdev forwards only the commands the HAL knows"
                + " (dev:ioctl -l) and those configured for this node; to allow it, add '" + device + "=0x"
                + Integer.toHexString(cmd) + ":KIND[:SIZE]' (KIND none, value, in or out; SIZE the bytes of memory for"
                + " in and out) to ioctls of configuration hostdev"));
    }

    /**
     * Parses the configured entries into one map per device name.
     *
     * @throws KernelException EINVAL for an entry that does not parse, and for a command the HAL refuses
     */
    static Map<String, Map<Integer, KnownIoctl>> parse(String[] entries) {
        Map<String, Map<Integer, KnownIoctl>> byDevice = new HashMap<>();
        for (String entry : entries) {
            int eq = entry.indexOf('=');
            String[] f = eq <= 0 ? new String[0] : entry.substring(eq + 1).trim().split(":");
            if (f.length < 2 || f.length > 3) {
                throw bad(entry, "is not name=command:kind[:size]");
            }
            String name = entry.substring(0, eq).trim();
            int cmd = (int) number(entry, f[0].trim(), 0xffffffffL);
            KnownIoctl.Arg kind;
            try {
                kind = KnownIoctl.Arg.valueOf(f[1].trim().toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw bad(entry, "kind '" + f[1].trim() + "' is not none, value, in or out");
            }
            int size = f.length == 3 ? (int) number(entry, f[2].trim(), KnownIoctl.MAX_SIZE) : 0;
            Optional<RefusedIoctl> refused = RefusedIoctls.of(cmd);
            if (refused.isPresent()) {
                throw bad(entry, "names " + refused.get().name() + ", which the HAL never sends: it "
                        + refused.get().reason());
            }
            KnownIoctl k;
            try {
                k = new KnownIoctl(name + ":0x" + Integer.toHexString(cmd), cmd, kind, size, "configured for " + name);
            } catch (IllegalArgumentException e) {
                throw bad(entry, "needs a size of 1 to " + KnownIoctl.MAX_SIZE + " bytes for in and out, none otherwise");
            }
            byDevice.computeIfAbsent(name, n -> new HashMap<>()).put(cmd, k);
        }
        return byDevice;
    }

    private static long number(String entry, String text, long max) {
        long v;
        try {
            v = text.startsWith("0x") || text.startsWith("0X") ? Long.parseLong(text.substring(2), 16) : Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw bad(entry, "'" + text + "' is not a number (decimal or 0x hex)");
        }
        if (v < 0 || v > max) {
            throw bad(entry, "'" + text + "' is out of range (0 to " + max + ")");
        }
        return v;
    }

    private static KernelException bad(String entry, String why) {
        return new KernelException(Errno.EINVAL, "hostdev: ioctls entry '" + entry + "' " + why);
    }
}
