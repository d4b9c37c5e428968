package org.devhost.kernel;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Reads a module's parameters from its configuration properties, strictly: a value that does not
 * fit is EINVAL naming the parameter (Linux: "`my_i32' invalid for parameter"), never a silent
 * default. Values may arrive typed (from a program) or as text (from {@code insmod p=v} or a
 * configuration file). Stateless and thread-safe.
 *
 * <p>Text follows the kernel's parsers ({@code rust/kernel/module_param.rs} on Rust-for-Linux's
 * {@code rust} branch, which accepts everything {@code kstrtol} accepts):
 * <ul>
 * <li>integers: an optional {@code +} or {@code -}, then {@code 0x}/{@code 0X} hex, {@code 0o}/{@code 0O}
 * octal, {@code 0b}/{@code 0B} binary, a leading {@code 0} octal, else decimal. Nothing else: no
 * {@code #ff}, no blanks inside, no empty value;</li>
 * <li>booleans ({@code kstrtobool}): the first character {@code y Y 1 t T} is true, {@code n N 0 f F}
 * is false, and {@code on}/{@code off} (any case); so {@code yes} and {@code true} are true;</li>
 * <li>arrays: comma-separated, each item parsed as its type; an empty value is EINVAL (one empty
 * item). More items than the array holds are EINVAL, as C's {@code param_array_set} says "can only
 * take N arguments" (the Rust {@code ArrayParam} drops the extra items silently; we refuse them so
 * nobody believes a value was taken).</li>
 * </ul>
 * Surrounding blanks are trimmed (a configuration file may carry them; the kernel's command line
 * cannot). A parameter given with no value ({@code insmod m my_bool}) is the caller's to map to
 * {@code "y"}: the kernel takes a bare bool as true.
 *
 * <pre>{@code
 * int quantum = ModuleParams.i32(props, "scull_quantum", 4000, 1, Integer.MAX_VALUE);
 * ModuleParams.warnUnknown(props, Set.of("scull_quantum"), name -> log.warn("unknown parameter '{}' ignored", name));
 * }</pre>
 */
public final class ModuleParams {
    /** Properties that Configuration Admin, SCR and FileInstall add; never parameters. */
    private static final Set<String> FRAMEWORK_KEYS = Set.of("service.pid", "service.factoryPid", "service.bundleLocation",
            "component.name", "component.id", "felix.fileinstall.filename", "osgi.ds.satisfying.condition.target");

    private ModuleParams() {}

    public static boolean bool(Map<String, ?> props, String name, boolean def) {
        Object v = props.get(name);
        return v == null ? def : toBool(name, v, v);
    }

    public static int i32(Map<String, ?> props, String name, int def) {
        return i32(props, name, def, Integer.MIN_VALUE, Integer.MAX_VALUE);
    }

    /**
     * A 32-bit integer from {@code min} to {@code max} (both included).
     *
     * @throws KernelException EINVAL naming the parameter and the range when the value is outside it
     */
    public static int i32(Map<String, ?> props, String name, int def, int min, int max) {
        Object v = props.get(name);
        return v == null ? def : (int) bounded(name, v, v, min, max);
    }

    /** A 64-bit integer from {@code min} to {@code max} (both included). */
    public static long i64(Map<String, ?> props, String name, long def, long min, long max) {
        Object v = props.get(name);
        return v == null ? def : bounded(name, v, v, min, max);
    }

    /** A {@code usize}: a non-negative 64-bit integer. */
    public static long usize(Map<String, ?> props, String name, long def) {
        return i64(props, name, def, 0, Long.MAX_VALUE);
    }

    public static String str(Map<String, ?> props, String name, String def) {
        Object v = props.get(name);
        return v == null ? def : v.toString();
    }

    /** An int array of at most {@code max} values: typed arrays and lists, or "1,2" text. */
    public static int[] i32Array(Map<String, ?> props, String name, int[] def, int max) {
        Object v = props.get(name);
        if (v == null) {
            return def.clone();
        }
        List<Object> items = items(name, v, max, "integers");
        int[] out = new int[items.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (int) bounded(name, v, items.get(i), Integer.MIN_VALUE, Integer.MAX_VALUE);
        }
        return out;
    }

    /** A bool array of at most {@code max} values, each read as {@link #bool}. */
    public static boolean[] boolArray(Map<String, ?> props, String name, boolean[] def, int max) {
        Object v = props.get(name);
        if (v == null) {
            return def.clone();
        }
        List<Object> items = items(name, v, max, "bools");
        boolean[] out = new boolean[items.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = toBool(name, v, items.get(i));
        }
        return out;
    }

    /** A string array of at most {@code max} values ({@code charp} arrays): "a,b" text or typed. */
    public static String[] strArray(Map<String, ?> props, String name, String[] def, int max) {
        Object v = props.get(name);
        if (v == null) {
            return def.clone();
        }
        return items(name, v, max, "strings").stream().map(String::valueOf).toArray(String[]::new);
    }

    /**
     * A parameter given as text ({@code insmod m p=v}), as the type its declaration gives: {@code
     * Boolean}, {@code Integer} or {@code Long} by the rules above, anything else as the text; with
     * a cardinality (not 0), an array of at most that many ({@code Integer[]}, {@code Boolean[]},
     * else {@code String[]}). What the host's parameters store and the testing kit gives a driver.
     *
     * @param type the declared type, as Metatype's {@code AD type} names it
     * @throws KernelException EINVAL naming the parameter when the text does not fit
     * @since 1.6
     */
    public static Object typed(String name, String text, Class<?> type, int cardinality) {
        Map<String, String> one = Map.of(name, text);
        if (cardinality != 0) {
            int max = Math.abs(cardinality);
            if (type == Integer.class) {
                return Arrays.stream(i32Array(one, name, new int[0], max)).boxed().toArray(Integer[]::new);
            }
            if (type == Boolean.class) {
                boolean[] b = boolArray(one, name, new boolean[0], max);
                Boolean[] out = new Boolean[b.length];
                for (int i = 0; i < b.length; i++) {
                    out[i] = b[i];
                }
                return out;
            }
            return strArray(one, name, new String[0], max);
        }
        if (type == Boolean.class) {
            return bool(one, name, false);
        }
        if (type == Integer.class) {
            return i32(one, name, 0);
        }
        if (type == Long.class) {
            return i64(one, name, 0, Long.MIN_VALUE, Long.MAX_VALUE);
        }
        return text;
    }

    /**
     * Calls {@code report} with each property that is neither a known parameter nor a framework key.
     * Not reported either: private properties (a leading dot) and the one-class form's own
     * component properties ({@link MiscDeviceProperties}, {@code devhost.misc.*}), which are the
     * device's name, minor and mode, not parameters.
     */
    public static void warnUnknown(Map<String, ?> props, Set<String> known, Consumer<String> report) {
        props.keySet().stream().filter(k -> !known.contains(k) && !FRAMEWORK_KEYS.contains(k) && !k.startsWith(".")
                && !k.startsWith(MiscDeviceProperties.PREFIX_)).sorted().forEach(report);
    }

    /** The items of an array value, at most {@code max} of them, at least one. */
    private static List<Object> items(String name, Object v, int max, String what) {
        List<Object> items = new ArrayList<>();
        if (v instanceof int[] a) {
            Arrays.stream(a).forEach(items::add);
        } else if (v instanceof long[] a) {
            Arrays.stream(a).forEach(items::add);
        } else if (v instanceof boolean[] a) {
            for (boolean b : a) {
                items.add(b);
            }
        } else if (v instanceof Object[] a) {
            items.addAll(Arrays.asList(a));
        } else if (v instanceof Collection<?> c) {
            items.addAll(c);
        } else {
            // split(",", -1) keeps empty items: "1,,2" and "" are refused by the item parser
            items.addAll(Arrays.asList((Object[]) v.toString().split(",", -1)));
        }
        if (items.size() > max) {
            throw invalid(name, v, "at most " + max + " " + what + " (the parameter takes " + max + ")");
        }
        if (items.isEmpty()) {
            throw invalid(name, v, "a list of " + what + ": it is empty");
        }
        return items;
    }

    private static boolean toBool(String name, Object whole, Object v) {
        if (v instanceof Boolean b) {
            return b;
        }
        String s = v.toString().trim();
        if (!s.isEmpty()) {
            switch (s.charAt(0)) {
                case 'y', 'Y', '1', 't', 'T':
                    return true;
                case 'n', 'N', '0', 'f', 'F':
                    return false;
                case 'o', 'O':
                    if (s.length() > 1) {
                        char c = Character.toLowerCase(s.charAt(1));
                        if (c == 'n') {
                            return true;
                        }
                        if (c == 'f') {
                            return false;
                        }
                    }
                    break;
                default:
                    break;
            }
        }
        throw invalid(name, whole, "a bool (y/n, 1/0, t/f, on/off)");
    }

    private static long bounded(String name, Object whole, Object v, long min, long max) {
        String range = min == Integer.MIN_VALUE && max == Integer.MAX_VALUE ? "a 32-bit integer"
                : min == Long.MIN_VALUE && max == Long.MAX_VALUE ? "a 64-bit integer"
                : min == 0 && max == Long.MAX_VALUE ? "a non-negative integer"
                : "an integer from " + min + " to " + max;
        if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            long l = ((Number) v).longValue();
            if (l < min || l > max) {
                throw invalid(name, whole, range);
            }
            return l;
        }
        BigInteger b = parse(v.toString().trim());
        if (b == null) {
            throw invalid(name, whole, range);
        }
        if (b.compareTo(BigInteger.valueOf(min)) < 0 || b.compareTo(BigInteger.valueOf(max)) > 0) {
            throw invalid(name, whole, range);
        }
        return b.longValueExact();
    }

    /** The kernel's integer syntax (see the type comment); null when {@code s} is not one. */
    static BigInteger parse(String s) {
        boolean negative = s.startsWith("-");
        String rest = negative || s.startsWith("+") ? s.substring(1) : s;
        int radix = 10;
        String digits = rest;
        if (rest.length() > 1 && rest.charAt(0) == '0') {
            switch (rest.charAt(1)) {
                case 'x', 'X' -> { radix = 16; digits = rest.substring(2); }
                case 'o', 'O' -> { radix = 8; digits = rest.substring(2); }
                case 'b', 'B' -> { radix = 2; digits = rest.substring(2); }
                default -> radix = 8;
            }
        }
        int r = radix;
        if (digits.isEmpty() || !digits.chars().allMatch(c -> c < 128 && Character.digit(c, r) >= 0)) {
            return null;
        }
        BigInteger b = new BigInteger(digits, r);
        return negative ? b.negate() : b;
    }

    private static KernelException invalid(String name, Object v, String what) {
        String shown = v instanceof Object[] a ? Arrays.toString(a) : v instanceof int[] a ? Arrays.toString(a) : String.valueOf(v);
        return new KernelException(Errno.EINVAL, "parameter '" + name + "': '" + shown + "' is not " + what);
    }
}
