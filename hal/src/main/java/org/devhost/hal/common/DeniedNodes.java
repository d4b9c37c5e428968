package org.devhost.hal.common;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.devhost.kernel.DeviceNumber;

/**
 * The nodes that can hurt the machine, which the HAL refuses even when an allowlist names them,
 * unless its unsafe switch is on. Checked by name (on the path asked for and on the path its links
 * lead to) and by device number (so a node made with {@code mknod} under a harmless name is
 * refused too), before the node is opened: opening a watchdog already arms it. Stateless;
 * thread-safe.
 */
final class DeniedNodes {
    private DeniedNodes() {}

    /** By name: physical memory and I/O ports, watchdogs, disks and raw SCSI, flash, CPU registers. */
    static final List<String> PATHS = List.of(
            "/dev/mem", "/dev/kmem", "/dev/port",
            "/dev/watchdog*",
            "/dev/sd*", "/dev/sg*", "/dev/nvme*", "/dev/vd*", "/dev/hd*", "/dev/xvd*", "/dev/mmcblk*", "/dev/bsg/",
            "/dev/mtd*",
            "/dev/cpu/*/msr",
            "/dev/snapshot");

    private static final List<PathPattern> PATTERNS = PATHS.stream().map(PathPattern::of).toList();

    /** By number: {@code major:minor} of fixed nodes, or {@code major:*}. */
    private static final Map<String, String> NUMBERS = Map.of(
            "1:1", "/dev/mem", "1:2", "/dev/kmem", "1:4", "/dev/port",
            "10:130", "the watchdog", "10:231", "/dev/snapshot",
            "202:*", "a CPU's MSRs", "21:*", "SCSI generic (sg)", "90:*", "raw flash (mtd)");

    /** Drivers with a dynamic major whose nodes are denied: their name in {@code /proc/devices}. */
    private static final List<String> DRIVERS = List.of("watchdog", "bsg", "nvme", "nvme-generic", "mtd", "cpu/msr", "sg");

    /** Why {@code path} is denied by name, if it is. */
    static Optional<String> byName(String path) {
        return PATTERNS.stream().filter(p -> p.matches(path)).findFirst()
                .map(p -> "it matches " + p + " on the HAL's denylist of nodes that can hurt the machine");
    }

    /** Why a node with this number is denied, if it is. */
    static Optional<String> byNumber(DeviceNumber n) {
        String what = NUMBERS.getOrDefault(n.major() + ":" + n.minor(), NUMBERS.get(n.major() + ":*"));
        if (what == null) {
            what = dynamicDriver(n.major());
        }
        return Optional.ofNullable(what).map(w -> "its device number " + n.major() + ":" + n.minor() + " is " + w
                + ", on the HAL's denylist of nodes that can hurt the machine");
    }

    /** The denied driver that owns a character major now, from {@code /proc/devices}. */
    private static String dynamicDriver(int major) {
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc/devices"));
        } catch (IOException e) {
            return null; // no procfs: the names and fixed numbers above still apply
        }
        for (String line : lines) {
            if (line.startsWith("Block")) {
                break;
            }
            String[] f = line.trim().split("\\s+", 2);
            if (f.length == 2 && f[0].equals(Integer.toString(major)) && DRIVERS.contains(f[1])) {
                return "driven by " + f[1];
            }
        }
        return null;
    }
}
