package org.devhost.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns one bench/run's measurements into the table of ratios: every devhost figure next to its
 * baseline from the same run, and whether the project's target is met.
 *
 * <p>Usage: {@code Report <results dir> [ffm|jna]}, the last argument the HAL backend measured
 * ({@link Backend}). The folder holds, per round N, {@code c-N.csv} (the C baseline) and {@code
 * hal-N.csv} (JMH's {@link HalBench} and {@link SyscallsBench}, run right after it), and once
 * {@code jmh.csv} (the other JMH benchmarks), {@code lifecycle.csv} and {@code boot.csv}. A HAL
 * row compares each round's figure with the C figure of the same round and shows the medians
 * over the rounds, of the figures and of the ratios: C and the JVM then meet the machine in the
 * same state (on these shared machines, C alone varies by 15% from one minute to the next).
 *
 * <p>The HAL targets are the FFM backend's (JDK 22+); on JNA (JDK 17) the HAL rows are recorded
 * against no target. A row without a target says "—" in both columns, never "met".
 */
public final class Report {
    /** Per round: the C baseline's figures, and the HAL benchmarks' (ns per call). */
    private final List<Map<String, Double>> c = new ArrayList<>();
    private final List<Map<String, Double>> hal = new ArrayList<>();
    private final Map<String, Double> jmh = new HashMap<>();
    private final Map<String, double[]> other = new HashMap<>();
    private final StringBuilder out = new StringBuilder();
    private boolean ffm = true;

    private Report() {}

    public static void main(String[] args) throws IOException {
        Report r = new Report();
        Path dir = Path.of(args[0]);
        for (int round = 1; Files.exists(dir.resolve("c-" + round + ".csv")); round++) {
            Map<String, Double> cr = new HashMap<>();
            for (String line : Files.readAllLines(dir.resolve("c-" + round + ".csv"))) {
                String[] f = line.split(",");
                cr.put(f[0], Double.parseDouble(f[1]));
            }
            r.c.add(cr);
            r.hal.add(jmh(dir.resolve("hal-" + round + ".csv")));
        }
        r.jmh.putAll(jmh(dir.resolve("jmh.csv")));
        for (String file : new String[] {"lifecycle.csv", "boot.csv"}) {
            for (String line : Files.readAllLines(dir.resolve(file))) {
                String[] f = line.split(",");
                if (f.length != 3 || !f[1].matches("[0-9.]+")) {
                    continue; // a line a bundle printed on stdout in the measured framework (devfs's mount notice)
                }
                r.other.put(f[0], new double[] {Double.parseDouble(f[1]), Double.parseDouble(f[2])});
            }
        }
        r.ffm = args.length < 2 || "ffm".equals(args[1]);
        r.print();
        System.out.print(r.out);
    }

    /** A JMH CSV as {@code method[_param]} to its score; the class name is dropped. */
    private static Map<String, Double> jmh(Path csv) throws IOException {
        Map<String, Double> scores = new HashMap<>();
        List<String> lines = Files.readAllLines(csv);
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.replace("\"", "").split(",");
            String bench = f[0].substring(f[0].lastIndexOf('.') + 1);
            String name = bench + (f.length > 7 && !f[7].isEmpty() ? "_" + f[7] : "");
            scores.put(name, Double.parseDouble(f[4]));
        }
        return scores;
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    /** The median over the rounds of a HAL benchmark's figure. */
    private double hal(String name) {
        return median(hal.stream().map(m -> m.get(name)).toList());
    }

    /** The median over the rounds of a C figure. */
    private double c(String name) {
        return median(c.stream().map(m -> m.get(name)).toList());
    }

    /** The median over the rounds of {@code hal / c} (per call: above 1 is slower than C). */
    private double perCallRatio(String halName, String cName) {
        List<Double> r = new ArrayList<>();
        for (int i = 0; i < c.size(); i++) {
            r.add(hal.get(i).get(halName) / c.get(i).get(cName));
        }
        return median(r);
    }

    private void row(String what, String devhost, String baseline, String ratio, String target, boolean met) {
        out.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |%n", what, devhost, baseline, ratio, target,
                met ? "met" : "**not met**"));
    }

    /** A row with no target: recorded for context, neither met nor not met. */
    private void row(String what, String devhost, String baseline, String ratio) {
        out.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | — | — |%n", what, devhost, baseline, ratio));
    }

    /** A HAL per-call row: at most {@code limit} x C on FFM; recorded only on JNA. */
    private void perCall(String what, String halName, String cName, double limit) {
        double ratio = perCallRatio(halName, cName);
        if (ffm) {
            row(what, ns(hal(halName)), ns(c(cName)) + " (C)", x(ratio), "<= " + limit + "x", ratio <= limit);
        } else {
            row(what, ns(hal(halName)), ns(c(cName)) + " (C)", x(ratio));
        }
    }

    /** The backend's own call ({@link SyscallsBench}), for the reading: no target. */
    private void floor(String what, String name, String cName) {
        if (hal.get(0).containsKey(name) && c.get(0).containsKey(cName)) {
            row(what, ns(hal(name)), ns(c(cName)) + " (C)", x(perCallRatio(name, cName)));
        }
    }

    private static String ns(double v) {
        return String.format(Locale.ROOT, "%.1f ns", v);
    }

    private static String mbs(int size, double nsPerOp) {
        return String.format(Locale.ROOT, "%.0f MB/s", size / nsPerOp * 1e3);
    }

    private void print() {
        out.append("| measurement | devhost | baseline | ratio | target | |\n|---|---|---|---|---|---|\n");
        perCall("HAL ioctl TIOCGWINSZ (pty), per call", "ioctlTiocgwinsz", "ioctl_TIOCGWINSZ", 1.25);
        if (c.get(0).containsKey("ioctl_KVM_GET_API_VERSION")) {
            perCall("HAL ioctl KVM_GET_API_VERSION, per call", "ioctlKvmApiVersion", "ioctl_KVM_GET_API_VERSION", 1.25);
        }
        perCall("HAL read /dev/zero 1 B, per call", "halReadZero_1", "read_zero_1", 1.25);
        String backend = ffm ? "FFM" : "JNA";
        floor("  " + backend + " call alone (no HAL), ioctl TIOCGWINSZ", "syscallIoctlTiocgwinsz", "ioctl_TIOCGWINSZ");
        floor("  " + backend + " call alone (no HAL), ioctl KVM_GET_API_VERSION", "syscallIoctlKvmApiVersion",
                "ioctl_KVM_GET_API_VERSION");
        floor("  " + backend + " call alone (no HAL), read 1 B", "syscallReadZero1", "read_zero_1");
        if (ffm) {
            floor("  FFM critical call alone (no HAL), ioctl KVM_GET_API_VERSION", "syscallQuickIoctlKvmApiVersion",
                    "ioctl_KVM_GET_API_VERSION");
        }
        for (int size : new int[] {4096, 65536, 1048576}) {
            String h = "halReadZero_" + size;
            String cc = "read_zero_" + size;
            List<Double> share = new ArrayList<>();
            for (int i = 0; i < c.size(); i++) {
                share.add(c.get(i).get(cc) / hal.get(i).get(h));
            }
            double ofC = median(share);
            double floor = size == 65536 ? 0.9 : size == 1048576 ? 0.95 : 0;
            String what = "HAL read /dev/zero " + label(size) + ", throughput";
            String base = mbs(size, c(cc)) + " (C), " + mbs(size, hal("fileChannelReadZero_" + size)) + " (FileChannel)";
            if (ffm && floor > 0) {
                row(what, mbs(size, hal(h)), base, x(ofC) + " of C", ">= " + floor + "x of C", ofC >= floor);
            } else {
                row(what, mbs(size, hal(h)), base, x(ofC) + " of C");
            }
        }
        double reg1 = jmh.get("registryRead_1");
        double dir1 = jmh.get("directRead_1");
        row("registry read of mem zero, 1 B", ns(reg1), ns(dir1) + " (driver called directly)",
                String.format(Locale.ROOT, "%+.1f ns", reg1 - dir1), "<= +50 ns", reg1 - dir1 <= 50);
        double reg64 = jmh.get("registryRead_65536");
        double dir64 = jmh.get("directRead_65536");
        row("registry read of mem zero, 64 KiB", ns(reg64), ns(dir64) + " (driver called directly)",
                pct(reg64 / dir64 - 1), "< +5%", reg64 / dir64 - 1 < 0.05);
        double hz1 = jmh.get("registryHostZero_1");
        double hal1 = jmh.get("halZero_1");
        row("host_zero (registry + HAL), 1 B", ns(hz1), ns(hal1) + " (HAL alone)",
                String.format(Locale.ROOT, "%+.1f ns", hz1 - hal1), "<= +50 ns", hz1 - hal1 <= 50);
        double hz64 = jmh.get("registryHostZero_65536");
        double hal64 = jmh.get("halZero_65536");
        row("host_zero (registry + HAL), 64 KiB", ns(hz64), ns(hal64) + " (HAL alone)", pct(hz64 / hal64 - 1), "< +5%",
                hz64 / hal64 - 1 < 0.05);
        double oc = jmh.get("openClose_1");
        double lk = jmh.get("lookup_1");
        row("open + close of a registry device", ns(oc), ns(lk) + " (lookup by name)", x(oc / lk));
        double[] cyc = other.get("lifecycle_rust_chrdev_cycle");
        double[] emp = other.get("lifecycle_empty_activator_cycle");
        row("load + unload rust_chrdev, median (p99)", ms(cyc[0]) + " (" + ms(cyc[1]) + ")",
                ms(emp[0]) + " (" + ms(emp[1]) + ") (empty activator)", x(cyc[0] / emp[0]), "<= 2.0x median",
                cyc[0] / emp[0] <= 2.0);
        double[] dsc = other.get("lifecycle_empty_component_cycle");
        row("load + unload rust_chrdev vs an empty DS component, median (p99)", ms(cyc[0]) + " (" + ms(cyc[1]) + ")",
                ms(dsc[0]) + " (" + ms(dsc[1]) + ") (empty DS component)", x(cyc[0] / dsc[0]));
        double[] load = other.get("lifecycle_rust_chrdev_load");
        double[] unload = other.get("lifecycle_rust_chrdev_unload");
        double[] eload = other.get("lifecycle_empty_activator_load");
        double[] eunload = other.get("lifecycle_empty_activator_unload");
        row("  of which install + start until registered", ms(load[0]) + " (" + ms(load[1]) + ")",
                ms(eload[0]) + " (" + ms(eload[1]) + ")", x(load[0] / eload[0]));
        row("  of which stop until gone", ms(unload[0]) + " (" + ms(unload[1]) + ")",
                ms(eunload[0]) + " (" + ms(eunload[1]) + ")", x(unload[0] / eunload[0]));
        double[] boot = other.get("boot");
        row("boot to shell with all samples, median (max)", ms(boot[0]) + " (" + ms(boot[1]) + ")", "", "",
                "< 1500 ms", boot[0] < 1.5e9);
    }

    private static String label(int size) {
        return size >= 1 << 20 ? (size >> 20) + " MiB" : size >= 1024 ? (size >> 10) + " KiB" : size + " B";
    }

    private static String x(double v) {
        return String.format(Locale.ROOT, "%.2fx", v);
    }

    private static String pct(double v) {
        return String.format(Locale.ROOT, "%+.1f%%", v * 100);
    }

    private static String ms(double ns) {
        return String.format(Locale.ROOT, "%.2f ms", ns / 1e6);
    }
}
