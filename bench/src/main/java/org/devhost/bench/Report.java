package org.devhost.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns one bench/run's measurements into the table of ratios: every devhost figure next to its
 * baseline from the same run, and whether the project's target is met.
 *
 * <p>Usage: {@code Report <c.csv> <jmh.csv> <lifecycle.csv> <boot.csv> [ffm|jna]}, the last
 * argument the HAL backend measured ({@link Backend}). The HAL targets are the FFM backend's
 * (JDK 22+); on JNA (JDK 17) the HAL rows are recorded against no target. A row without a target
 * says "—" in both columns, never "met".
 */
public final class Report {
    private final Map<String, Double> c = new HashMap<>();
    private final Map<String, Double> jmh = new HashMap<>();
    private final Map<String, double[]> other = new HashMap<>();
    private final StringBuilder out = new StringBuilder();
    private boolean ffm = true;

    private Report() {}

    public static void main(String[] args) throws IOException {
        Report r = new Report();
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            String[] f = line.split(",");
            r.c.put(f[0], Double.parseDouble(f[1]));
        }
        List<String> lines = Files.readAllLines(Path.of(args[1]));
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.replace("\"", "").split(",");
            String name = f[0].substring(f[0].lastIndexOf('.') + 1) + (f.length > 7 && !f[7].isEmpty() ? "_" + f[7] : "");
            r.jmh.put(name, Double.parseDouble(f[4]));
        }
        for (int i = 2; i < 4; i++) {
            for (String line : Files.readAllLines(Path.of(args[i]))) {
                String[] f = line.split(",");
                if (f.length != 3 || !f[1].matches("[0-9.]+")) {
                    continue; // a line a bundle printed on stdout in the measured framework (devfs's mount notice)
                }
                r.other.put(f[0], new double[] {Double.parseDouble(f[1]), Double.parseDouble(f[2])});
            }
        }
        r.ffm = args.length < 5 || "ffm".equals(args[4]);
        r.print();
        System.out.print(r.out);
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
    private void perCall(String what, double devhost, double c, double limit) {
        if (ffm) {
            row(what, ns(devhost), ns(c) + " (C)", x(devhost / c), "<= " + limit + "x", devhost / c <= limit);
        } else {
            row(what, ns(devhost), ns(c) + " (C)", x(devhost / c));
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
        double w = jmh.get("ioctlTiocgwinsz_1");
        double wc = c.get("ioctl_TIOCGWINSZ");
        perCall("HAL ioctl TIOCGWINSZ (pty), per call", w, wc, 1.25);
        if (c.containsKey("ioctl_KVM_GET_API_VERSION")) {
            perCall("HAL ioctl KVM_GET_API_VERSION, per call", jmh.get("ioctlKvmApiVersion_1"),
                    c.get("ioctl_KVM_GET_API_VERSION"), 1.25);
        }
        perCall("HAL read /dev/zero 1 B, per call", jmh.get("halReadZero_1"), c.get("read_zero_1"), 1.25);
        for (int size : new int[] {4096, 65536, 1048576}) {
            double h = jmh.get("halReadZero_" + size);
            double cc = c.get("read_zero_" + size);
            double fc = jmh.get("fileChannelReadZero_" + size);
            double floor = size == 65536 ? 0.9 : size == 1048576 ? 0.95 : 0;
            String what = "HAL read /dev/zero " + label(size) + ", throughput";
            String base = mbs(size, cc) + " (C), " + mbs(size, fc) + " (FileChannel)";
            if (ffm && floor > 0) {
                row(what, mbs(size, h), base, x(cc / h) + " of C", ">= " + floor + "x of C", cc / h >= floor);
            } else {
                row(what, mbs(size, h), base, x(cc / h) + " of C");
            }
        }
        double reg1 = jmh.get("registryRead_1");
        double dir1 = jmh.get("directRead_1");
        row("registry read of mem zero, 1 B", ns(reg1), ns(dir1) + " (driver called directly)",
                String.format(Locale.ROOT, "+%.1f ns", reg1 - dir1), "<= +50 ns", reg1 - dir1 <= 50);
        double reg64 = jmh.get("registryRead_65536");
        double dir64 = jmh.get("directRead_65536");
        row("registry read of mem zero, 64 KiB", ns(reg64), ns(dir64) + " (driver called directly)",
                pct(reg64 / dir64 - 1), "< +5%", reg64 / dir64 - 1 < 0.05);
        double hz1 = jmh.get("registryHostZero_1");
        double hal1 = jmh.get("halZero_1");
        row("host_zero (registry + HAL), 1 B", ns(hz1), ns(hal1) + " (HAL alone)",
                String.format(Locale.ROOT, "+%.1f ns", hz1 - hal1), "<= +50 ns", hz1 - hal1 <= 50);
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
