package org.devhost.kernel.impl.chrdev;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.devhost.kernel.Device;
import org.devhost.kernel.DeviceNumber;
import org.devhost.kernel.DeviceType;
import org.devhost.kernel.Errno;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.Region;

/**
 * The kernel's tables: reserved number regions ({@code chrdevs[]}), registered devices by number
 * and by name, and the misc minors in use.
 *
 * <p>Invariants: regions on one major never overlap; the kernel's own {@code misc} region covers
 * every minor of major 10; a device's number lies in a region and its name is unique. Changes take
 * {@code lock}; lookups on the open path read the concurrent maps without it. Listeners and
 * revocation run outside the lock.
 */
public final class DeviceTable {
    /** Module name of the kernel's own registrations. */
    public static final String KERNEL = "kernel";
    /** Dynamic majors are searched in these two ranges, high to low, as Linux's find_dynamic_major. */
    static final int DYNAMIC_LOW_FIRST = 254;
    static final int DYNAMIC_LOW_LAST = 234;
    static final int DYNAMIC_HIGH_FIRST = 511;
    static final int DYNAMIC_HIGH_LAST = 384;

    private final Object lock = new Object();
    /**
     * The open heartbeats of every module ({@link HeartbeatImpl}): kept here because the table is
     * the one kernel object every module context reaches; the supervisor's watchdog reads it.
     */
    public final java.util.Set<HeartbeatImpl> heartbeats = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final TreeMap<Long, Region> regions = new TreeMap<>();
    private final BitSet miscMinors = new BitSet();
    private final Map<Integer, CharDevice> byNumber = new ConcurrentHashMap<>();
    private final Map<String, CharDevice> byName = new ConcurrentHashMap<>();
    private final KernelListener listener;
    private volatile long revokeTimeoutMillis;
    /**
     * Numbers and names held for modules that are restarting (the supervisor's reservations),
     * by module name; guarded by {@code lock}. While a module has one, no other module gets its
     * majors or misc minors, and the module itself gets them back first when it asks for dynamic
     * ones. Copy-on-write, so the open path reads it without the lock.
     */
    private volatile Map<String, Reservation> reservations = Map.of();
    /** The host's kernel when this one is a satellite (an isolated module's process); null in the host. */
    private volatile Upstream upstream;

    /** What a restarting module held: its majors, its misc minors and its device names. */
    record Reservation(java.util.Set<Integer> majors, java.util.Set<Integer> miscMinors, java.util.Set<String> names) {}

    public DeviceTable(KernelListener listener, long revokeTimeoutMillis) {
        this.listener = listener;
        this.revokeTimeoutMillis = revokeTimeoutMillis;
        Region misc = new Region("misc", MiscDevice.MISC_MAJOR, 0, DeviceNumber.MINOR_LIMIT, KERNEL);
        regions.put(key(misc.major(), 0), misc);
    }

    KernelListener listener() {
        return listener;
    }

    /**
     * Makes this table a satellite of another kernel: from now on the host grants every number and
     * name first. Call before any module registers a device.
     */
    public void upstream(Upstream host) {
        this.upstream = host;
    }

    public long revokeTimeoutMillis() {
        return revokeTimeoutMillis;
    }

    private static long key(int major, int minor) {
        return (long) major << DeviceNumber.MINOR_BITS | minor;
    }

    // ---- regions ----

    // ---- reservations across a supervised restart ----

    /**
     * Holds what {@code module} has now (majors, misc minors, device names) until {@link
     * #unreserve}: called before a supervised module is stopped for a restart, so the numbers
     * survive the restart and no other module takes them meanwhile.
     */
    public void reserve(String module) {
        java.util.Set<Integer> majors = new java.util.TreeSet<>();
        java.util.Set<Integer> minors = new java.util.TreeSet<>();
        java.util.Set<String> names = new java.util.TreeSet<>();
        synchronized (lock) {
            for (Region r : regions.values()) {
                if (r.module().equals(module)) {
                    majors.add(r.major());
                }
            }
            for (CharDevice d : byNumber.values()) {
                if (d.module().equals(module)) {
                    names.add(d.name());
                    if (d.type() == DeviceType.MISC) {
                        minors.add(d.number().minor());
                    }
                }
            }
            Reservation old = reservations.get(module);
            if (old != null) { // a restart that failed before taking its numbers back keeps the first
                majors.addAll(old.majors());
                minors.addAll(old.miscMinors());
                names.addAll(old.names());
            }
            Map<String, Reservation> copy = new java.util.HashMap<>(reservations);
            copy.put(module, new Reservation(java.util.Set.copyOf(majors), java.util.Set.copyOf(minors), java.util.Set.copyOf(names)));
            reservations = Map.copyOf(copy);
        }
    }

    /** Lets go of what {@link #reserve} held (the module is back, was unloaded, or was given up). */
    public void unreserve(String module) {
        synchronized (lock) {
            if (reservations.containsKey(module)) {
                Map<String, Reservation> copy = new java.util.HashMap<>(reservations);
                copy.remove(module);
                reservations = Map.copyOf(copy);
            }
        }
    }

    /** The restarting module that holds this device name, or null. Reads without the lock. */
    public String reservedName(String name) {
        for (Map.Entry<String, Reservation> e : reservations.entrySet()) {
            if (e.getValue().names().contains(name)) {
                return e.getKey();
            }
        }
        return null;
    }

    /** The restarting module that holds this number (its major, or for misc its minor), or null. */
    public String reservedNumber(DeviceNumber number) {
        for (Map.Entry<String, Reservation> e : reservations.entrySet()) {
            if (number.major() == MiscDevice.MISC_MAJOR ? e.getValue().miscMinors().contains(number.minor())
                    : e.getValue().majors().contains(number.major())) {
                return e.getKey();
            }
        }
        return null;
    }

    /** The other module a reservation holds this major for, or null; the caller holds {@code lock}. */
    private String majorReservedForOther(int major, String module) {
        for (Map.Entry<String, Reservation> e : reservations.entrySet()) {
            if (!e.getKey().equals(module) && e.getValue().majors().contains(major)) {
                return e.getKey();
            }
        }
        return null;
    }

    private String minorReservedForOther(int minor, String module) {
        for (Map.Entry<String, Reservation> e : reservations.entrySet()) {
            if (!e.getKey().equals(module) && e.getValue().miscMinors().contains(minor)) {
                return e.getKey();
            }
        }
        return null;
    }

    /** {@code __register_chrdev_region}: reserve a range, choosing a major when 0 is asked for. */
    Region allocRegion(String module, String name, int major, int baseMinor, int count) {
        checkName(name, "chrdev region");
        if (major < 0 || major >= DeviceNumber.MAJOR_LIMIT) {
            throw new KernelException(Errno.EINVAL, "chrdev region " + name + ": major " + major
                    + " is out of range 0.." + (DeviceNumber.MAJOR_LIMIT - 1));
        }
        if (count < 1 || baseMinor < 0 || count > DeviceNumber.MINOR_LIMIT - baseMinor) {
            throw new KernelException(Errno.EINVAL, "chrdev region " + name + ": minors " + baseMinor + "+"
                    + count + " do not fit in 0.." + (DeviceNumber.MINOR_LIMIT - 1) + " (count must be at least 1)");
        }
        Upstream host = upstream;
        if (host != null) {
            // the host's answer is the number; asked outside the lock, it may take a round trip
            major = host.region(name, major, baseMinor, count);
        }
        synchronized (lock) {
            int m = major == 0 ? findDynamicMajor(name, module) : major;
            String holder = majorReservedForOther(m, module);
            if (holder != null) {
                throw new KernelException(Errno.EBUSY, "chrdev region " + name + ": major " + m + " is reserved for module "
                        + holder + " while it restarts");
            }
            Map.Entry<Long, Region> below = regions.floorEntry(key(m, baseMinor + count - 1));
            if (below != null && below.getValue().overlaps(m, baseMinor, count)) {
                Region r = below.getValue();
                throw new KernelException(Errno.EBUSY, "chrdev region " + name + " " + m + ":" + baseMinor + "+"
                        + count + ": overlaps " + r.name() + " " + m + ":" + r.baseMinor() + "+" + r.count()
                        + " of module " + r.module());
            }
            Region region = new Region(name, m, baseMinor, count, module);
            regions.put(key(m, baseMinor), region);
            return region;
        }
    }

    private int findDynamicMajor(String name, String module) {
        Reservation own = reservations.get(module);
        if (own != null) { // a restarting module gets its own major back first
            for (int m : own.majors()) {
                if (m != MiscDevice.MISC_MAJOR && regions.subMap(key(m, 0), key(m + 1, 0)).isEmpty()) {
                    return m;
                }
            }
        }
        for (int m = DYNAMIC_LOW_FIRST; m >= DYNAMIC_LOW_LAST; m--) {
            if (majorUnused(m)) {
                return m;
            }
        }
        for (int m = DYNAMIC_HIGH_FIRST; m >= DYNAMIC_HIGH_LAST; m--) {
            if (majorUnused(m)) {
                return m;
            }
        }
        throw new KernelException(Errno.EBUSY, "chrdev region " + name + ": all dynamic majors (254..234, 511..384)"
                + " are in use; free one or ask for a fixed major");
    }

    private boolean majorUnused(int major) {
        return majorReservedForOther(major, null) == null && regions.subMap(key(major, 0), key(major + 1, 0)).isEmpty();
    }

    void freeRegion(Region region) {
        boolean removed;
        synchronized (lock) {
            removed = regions.remove(key(region.major(), region.baseMinor()), region);
        }
        Upstream host = upstream;
        if (removed && host != null) {
            host.regionFreed(region.name(), region.major(), region.baseMinor());
        }
    }

    public List<Region> regions() {
        synchronized (lock) {
            return List.copyOf(regions.values());
        }
    }

    // ---- misc minors ----

    int allocMiscMinor(String module, String name, int minor, int mode, FileOperations<?> ops) {
        Upstream host = upstream;
        if (host != null) {
            minor = host.misc(name, minor, mode, OperationTable.of(ops));
        }
        synchronized (lock) {
            if (minor == MiscDevice.DYNAMIC_MINOR) {
                Reservation own = reservations.get(module);
                if (own != null) { // a restarting module gets its own minors back first, in order
                    for (int m : new java.util.TreeSet<>(own.miscMinors())) {
                        if (m >= MiscDevice.FIRST_DYNAMIC_MINOR && !miscMinors.get(m)) {
                            miscMinors.set(m);
                            return m;
                        }
                    }
                }
                int m = miscMinors.nextClearBit(MiscDevice.FIRST_DYNAMIC_MINOR);
                while (m < DeviceNumber.MINOR_LIMIT && minorReservedForOther(m, module) != null) {
                    m = miscMinors.nextClearBit(m + 1);
                }
                if (m >= DeviceNumber.MINOR_LIMIT) {
                    throw new KernelException(Errno.EBUSY, "misc " + name + ": no dynamic minor left");
                }
                miscMinors.set(m);
                return m;
            }
            if (minor < 0 || minor >= DeviceNumber.MINOR_LIMIT) {
                throw new KernelException(Errno.EINVAL, "misc " + name + ": minor " + minor + " is out of range; use "
                        + MiscDevice.DYNAMIC_MINOR + " (MISC_DYNAMIC_MINOR) for a dynamic one");
            }
            String reservedFor = minorReservedForOther(minor, module);
            if (reservedFor != null) {
                throw new KernelException(Errno.EBUSY, "misc " + name + ": minor " + minor + " is reserved for module "
                        + reservedFor + " while it restarts");
            }
            if (miscMinors.get(minor)) {
                CharDevice holder = byNumber.get(DeviceNumber.of(MiscDevice.MISC_MAJOR, minor).kernelEncoding());
                throw new KernelException(Errno.EBUSY, "misc " + name + ": minor " + minor + " is taken"
                        + (holder == null ? "" : " by " + holder.name() + " of module " + holder.module()));
            }
            miscMinors.set(minor);
            return minor;
        }
    }

    void freeMiscMinor(String name, int minor) {
        synchronized (lock) {
            miscMinors.clear(minor);
        }
        Upstream host = upstream;
        if (host != null) {
            host.miscFreed(name, minor);
        }
    }

    // ---- devices ----

    /**
     * Adds a device. It is openable as soon as this returns, and the listener has been told.
     * The caller has reserved the number (a region or a misc minor).
     */
    CharDevice addDevice(ModuleContext module, String name, DeviceNumber number, DeviceType type, int mode,
            FileOperations<?> ops) {
        checkName(name, "device");
        checkMode(name, mode);
        if (ops == null) {
            throw new KernelException(Errno.EINVAL, "device " + name + ": no file operations given");
        }
        CharDevice device = new CharDevice(name, number, type, mode, module, ops);
        Upstream host = upstream;
        if (host != null && type == DeviceType.CHAR) {
            host.chrDevice(name, number, mode, device.operations()); // a misc device's host side came with its minor
        }
        synchronized (lock) {
            CharDevice same = byName.get(name);
            if (same != null) {
                throw new KernelException(Errno.EEXIST, "device " + name + ": the name is taken by " + same.number()
                        + " of module " + same.module());
            }
            if (byNumber.containsKey(number.kernelEncoding())) {
                throw new KernelException(Errno.EBUSY, "device " + name + ": number " + number + " is in use");
            }
            // Both maps are filled before the listener publishes the device, so whoever hears of it can open it.
            byNumber.put(number.kernelEncoding(), device);
            byName.put(name, device);
        }
        if (host != null) {
            host.added(name); // the host made the device first; its opens wait for this
        }
        listener.deviceAdded(device);
        return device;
    }

    /**
     * Removes devices of one module: revoke them all first (opens now fail with ENODEV, waiters
     * wake, files release), wait for their operations in flight under one shared deadline (the
     * module's, see {@link ModuleContext#revokeDeadline}), then drop them from the tables so the
     * numbers can be reused, then tell the listener. A device whose operation is still running in
     * the driver at the deadline is removed all the same; the log names the threads stuck in the
     * driver, which a JVM cannot stop: they are abandoned, and their files release when they return.
     */
    void removeDevices(List<CharDevice> devices) {
        if (devices.isEmpty()) {
            return;
        }
        for (CharDevice d : devices) {
            d.beginRevoke();
        }
        ModuleContext module = devices.get(0).moduleContext();
        long deadline = module.revokeDeadline(revokeTimeoutMillis);
        for (CharDevice d : devices) {
            boolean alreadyStuck = module.revocationStuck();
            if (!d.awaitReleased(deadline)) {
                String why = alreadyStuck
                        ? " still running; not waiting again (an earlier operation of this module is stuck past its revoke deadline)"
                        : " still running after the revoke timeout (" + revokeTimeoutMillis + " ms)";
                module.log("WARN", "operations on " + d.name() + why + "; removing the device anyway. "
                        + StuckThreads.describe(d.ops), null);
            }
        }
        for (CharDevice d : devices) {
            synchronized (lock) {
                byNumber.remove(d.number().kernelEncoding(), d);
                byName.remove(d.name(), d);
            }
            listener.deviceRemoved(d);
        }
    }

    public CharDevice lookup(DeviceNumber number) {
        return byNumber.get(number.kernelEncoding());
    }

    public CharDevice lookup(String name) {
        return byName.get(name);
    }

    public List<Device> devices() {
        List<Device> all = new ArrayList<>(byNumber.values());
        all.sort(Comparator.comparing(Device::number));
        return all;
    }

    /** A device mode is permission bits only: no file type, no setuid/setgid/sticky bits. */
    static void checkMode(String name, int mode) {
        if (mode < 0 || mode > 0777) {
            throw new KernelException(Errno.EINVAL, "device " + name + ": mode 0" + Integer.toOctalString(mode)
                    + " is not permission bits; give 0 to 0777 in octal (e.g. 0666, 0600; the default is 0"
                    + Integer.toOctalString(Device.DEFAULT_MODE) + ")");
        }
    }

    private static void checkName(String name, String what) {
        if (name == null || name.isBlank() || name.chars().anyMatch(c -> Character.isWhitespace(c) || c == '/')) {
            throw new KernelException(Errno.EINVAL, what + " name '" + name + "': must be non-empty, without spaces or '/'");
        }
    }
}
