package org.devhost.kernel.impl.chrdev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.devhost.kernel.ChrdevRegion;
import org.devhost.kernel.Device;
import org.devhost.kernel.DeviceNumber;
import org.devhost.kernel.Errno;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.Region;
import org.devhost.kernel.impl.registry.ModuleRegistry;
import org.junit.jupiter.api.Test;

/**
 * Model-based random test: seeded sequences of register / unregister / open / close / read /
 * module stop / module start against the kernel, each result checked against a plain model of
 * what Linux's rules say should happen. A failure prints its seed; {@code -Ddevhost.model.seed=N}
 * replays one. The build runs ten fixed seeds (so CI is repeatable); {@code -Ddevhost.model.random=N}
 * runs N fresh random seeds instead.
 */
class RegistryModelTest {
    private static final int OPS = 2000;

    /** The model: what is registered, by whom, and which files are open on what. */
    private static final class Model {
        final Map<Long, int[]> regions = new TreeMap<>();          // key major<<20|base -> {major, base, count, module}
        final Map<Integer, String> devices = new TreeMap<>();       // kernel dev_t -> module
        final TreeSet<Integer> miscMinors = new TreeSet<>();
        final Map<String, Integer> names = new TreeMap<>();          // device name -> kernel dev_t
        final List<Object[]> files = new ArrayList<>();             // {OpenFile, dev_t, state: 0 open, 1 closed}

        boolean overlaps(int major, int base, int count) {
            return regions.values().stream().anyMatch(r -> r[0] == major && r[1] < base + count && base < r[1] + r[2]);
        }

        int dynamicMajor() {
            for (int m = 254; m >= 234; m--) {
                if (majorFree(m)) {
                    return m;
                }
            }
            for (int m = 511; m >= 384; m--) {
                if (majorFree(m)) {
                    return m;
                }
            }
            return -1;
        }

        boolean majorFree(int m) {
            return regions.values().stream().noneMatch(r -> r[0] == m);
        }
    }

    private static final FileOperations<Void> ONE_BYTE = new FileOperations<>() {
        public Void open(File f) { return null; }
        public int read(Void d, File f, ByteBuffer dst, long off) { dst.put((byte) 1); return 1; }
    };

    private record Reg(AutoCloseable handle, int module, List<Integer> devs, long regionKey, int miscMinor) {}

    @Test
    void randomSequencesFollowTheModel() {
        String fixed = System.getProperty("devhost.model.seed");
        int random = Integer.getInteger("devhost.model.random", 0);
        long[] seeds = fixed != null ? new long[] {Long.parseLong(fixed)}
                : random > 0 ? new Random().longs(random).toArray() : new long[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        int total = 0;
        for (long seed : seeds) {
            try {
                total += run(seed);
            } catch (AssertionError | RuntimeException e) {
                fail("model test failed with seed " + seed + " (replay: -Ddevhost.model.seed=" + seed + "): " + e, e);
            }
        }
        System.out.println("RegistryModelTest: " + total + " operations over " + seeds.length + " seeds, all as the model said");
    }

    private int run(long seed) {
        Random rnd = new Random(seed);
        DeviceTable table = new DeviceTable(KernelListener.NONE, 1000);
        Model model = new Model();
        List<ModuleContext> modules = new ArrayList<>();
        List<Boolean> alive = new ArrayList<>();
        List<Reg> regs = new ArrayList<>();
        ModuleContext user = new ModuleContext("user", table);
        ModuleRegistry userReg = new ModuleRegistry(user);
        int names = 0;
        for (int op = 0; op < OPS; op++) {
            int kind = rnd.nextInt(11);
            List<Integer> live = new ArrayList<>();
            for (int i = 0; i < modules.size(); i++) {
                if (alive.get(i)) {
                    live.add(i);
                }
            }
            if (kind == 0 || live.isEmpty()) { // start a module
                modules.add(new ModuleContext("m" + modules.size(), table));
                alive.add(true);
                continue;
            }
            int m = live.get(rnd.nextInt(live.size()));
            ModuleRegistry reg = new ModuleRegistry(modules.get(m));
            String where = "seed " + seed + " op " + op + " kind " + kind;
            switch (kind) {
                case 1, 2 -> { // chrdev region, fixed or dynamic major, registered fully
                    boolean dynamic = kind == 2;
                    int major = dynamic ? 0 : 300 + rnd.nextInt(2);
                    int base = dynamic ? 0 : rnd.nextInt(8);
                    int count = 1 + rnd.nextInt(3);
                    int expectMajor = dynamic ? model.dynamicMajor() : major;
                    boolean busy = expectMajor < 0 || model.overlaps(expectMajor, base, count);
                    try {
                        // names end in a letter, so "r1x" + minor index never equals another region's name
                        ChrdevRegion r = reg.chrdevRegion("r" + names++ + "x", major, base, count);
                        assertEquals(false, busy, where + ": expected EBUSY");
                        assertEquals(expectMajor, r.major(), where);
                        List<Integer> devs = new ArrayList<>();
                        for (int i = 0; i < count; i++) {
                            Device d = r.register(ONE_BYTE);
                            devs.add(d.number().kernelEncoding());
                            model.devices.put(d.number().kernelEncoding(), "m" + m);
                            model.names.put(d.name(), d.number().kernelEncoding());
                        }
                        long key = (long) r.major() << 20 | base;
                        model.regions.put(key, new int[] {r.major(), base, count, m});
                        regs.add(new Reg(r, m, devs, key, -1));
                    } catch (KernelException e) {
                        assertEquals(true, busy, where + ": unexpected " + e.getMessage());
                        assertEquals(Errno.EBUSY, e.errno(), where);
                    }
                }
                case 3 -> { // misc, dynamic or one of a few fixed minors
                    boolean dynamic = rnd.nextBoolean();
                    int minor = dynamic ? MiscDevice.DYNAMIC_MINOR : rnd.nextInt(4);
                    int expect = dynamic ? nextFree(model.miscMinors) : minor;
                    boolean busy = !dynamic && model.miscMinors.contains(minor);
                    try {
                        MiscDevice d = reg.registerMisc("x" + names++, minor, ONE_BYTE);
                        assertEquals(false, busy, where + ": expected EBUSY");
                        assertEquals(expect, d.device().number().minor(), where);
                        model.miscMinors.add(expect);
                        int dev = d.device().number().kernelEncoding();
                        model.devices.put(dev, "m" + m);
                        model.names.put(d.device().name(), dev);
                        regs.add(new Reg(d, m, List.of(dev), -1, expect));
                    } catch (KernelException e) {
                        assertEquals(true, busy, where + ": unexpected " + e.getMessage());
                        assertEquals(Errno.EBUSY, e.errno(), where);
                    }
                }
                case 4 -> { // close a registration
                    if (!regs.isEmpty()) {
                        Reg r = regs.remove(rnd.nextInt(regs.size()));
                        close(r.handle());
                        forget(model, r);
                    }
                }
                case 5, 6 -> { // open a number, used or not
                    int dev = pickNumber(rnd, model);
                    try {
                        OpenFile f = userReg.open(DeviceNumber.fromKernelEncoding(dev), OpenFlags.O_RDONLY);
                        assertEquals(true, model.devices.containsKey(dev), where + ": open of a free number succeeded");
                        model.files.add(new Object[] {f, dev, 0});
                    } catch (KernelException e) {
                        assertEquals(false, model.devices.containsKey(dev), where + ": " + e.getMessage());
                        assertEquals(Errno.ENXIO, e.errno(), where);
                    }
                }
                case 7 -> { // read, or close, a file
                    if (!model.files.isEmpty()) {
                        Object[] f = model.files.get(rnd.nextInt(model.files.size()));
                        OpenFile file = (OpenFile) f[0];
                        boolean closed = (int) f[2] == 1;
                        boolean gone = !model.devices.containsKey((int) f[1]) || f.length > 3;
                        if (rnd.nextBoolean()) {
                            file.close();
                            f[2] = 1;
                        } else {
                            try {
                                assertEquals(1, file.read(ByteBuffer.allocate(4)), where);
                                assertEquals(false, closed || gone, where + ": read on a closed or revoked file worked");
                            } catch (KernelException e) {
                                assertEquals(closed ? Errno.EBADF : Errno.ENODEV, e.errno(), where + ": " + e.getMessage());
                            }
                        }
                    }
                }
                case 8 -> { // stop a module: everything it holds goes
                    modules.get(m).release();
                    alive.set(m, false);
                    for (Reg r : new ArrayList<>(regs)) {
                        if (r.module() == m) {
                            regs.remove(r);
                            forget(model, r);
                        }
                    }
                    assertEquals(Errno.ENODEV, expectErrno(() -> reg.registerMisc("late" + m, MiscDevice.DYNAMIC_MINOR, ONE_BYTE)), where);
                }
                case 9 -> { // a name already taken, on purpose: EEXIST, and nothing of the attempt stays
                    if (model.names.isEmpty()) {
                        break;
                    }
                    List<String> taken = new ArrayList<>(model.names.keySet());
                    String name = taken.get(rnd.nextInt(taken.size()));
                    if (rnd.nextBoolean()) {
                        assertEquals(Errno.EEXIST, expectErrno(() -> reg.registerMisc(name, MiscDevice.DYNAMIC_MINOR, ONE_BYTE)),
                                where + ": misc " + name);
                    } else {
                        // a one-minor region names its device after itself: the region is reserved,
                        // its device is refused, and closing it frees the number again
                        int expectMajor = model.dynamicMajor();
                        if (expectMajor < 0) {
                            break;
                        }
                        ChrdevRegion r = reg.chrdevRegion(name, 0, 0, 1);
                        assertEquals(expectMajor, r.major(), where);
                        assertEquals(Errno.EEXIST, expectErrno(() -> r.register(ONE_BYTE)), where + ": region " + name);
                        close(r);
                    }
                }
                default -> { } // idle step, the checks below still run
            }
            check(table, model, where);
        }
        user.release();
        return OPS;
    }

    private static int nextFree(TreeSet<Integer> used) {
        int m = MiscDevice.FIRST_DYNAMIC_MINOR;
        while (used.contains(m)) {
            m++;
        }
        return m;
    }

    private static int pickNumber(Random rnd, Model model) {
        if (!model.devices.isEmpty() && rnd.nextInt(3) > 0) {
            List<Integer> all = new ArrayList<>(model.devices.keySet());
            return all.get(rnd.nextInt(all.size()));
        }
        return DeviceNumber.of(300 + rnd.nextInt(2), rnd.nextInt(12)).kernelEncoding();
    }

    /** The registration is gone: its devices, numbers and region leave the model; files on it are revoked. */
    private static void forget(Model model, Reg r) {
        for (int d : r.devs()) {
            model.devices.remove(d);
            model.names.values().remove(d);
        }
        if (r.regionKey() >= 0) {
            model.regions.remove(r.regionKey());
        }
        if (r.miscMinor() >= 0) {
            model.miscMinors.remove(r.miscMinor());
        }
        for (int i = 0; i < model.files.size(); i++) {
            Object[] f = model.files.get(i);
            if (r.devs().contains((int) f[1]) && f.length == 3) {
                model.files.set(i, new Object[] {f[0], f[1], f[2], "revoked"});
            }
        }
    }

    private static void check(DeviceTable table, Model model, String where) {
        assertEquals(new TreeSet<>(model.devices.keySet()),
                table.devices().stream().map(d -> d.number().kernelEncoding()).collect(Collectors.toCollection(TreeSet::new)),
                where + ": devices");
        List<String> regions = table.regions().stream().filter(r -> r.major() != MiscDevice.MISC_MAJOR)
                .map(RegistryModelTest::show).sorted().toList();
        List<String> expected = model.regions.values().stream().map(r -> r[0] + ":" + r[1] + "+" + r[2]).sorted().toList();
        assertEquals(expected, regions, where + ": regions");
        for (Device d : table.devices()) {
            long open = model.files.stream().filter(f -> (int) f[1] == d.number().kernelEncoding() && (int) f[2] == 0
                    && f.length == 3).count();
            assertEquals(open, d.openCount(), where + ": open files of " + d);
        }
    }

    private static String show(Region r) {
        return r.major() + ":" + r.baseMinor() + "+" + r.count();
    }

    private static void close(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static Errno expectErrno(Runnable r) {
        try {
            r.run();
        } catch (KernelException e) {
            return e.errno();
        }
        return null;
    }
}
