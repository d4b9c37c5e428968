package org.devhost.kernel;

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
 * configuration file). Stateless.
 *
 * <pre>{@code
 * int i32 = ModuleParams.i32(props, "my_i32", 42);
 * ModuleParams.warnUnknown(props, Set.of("my_i32"), name -> log.warn("unknown parameter '{}' ignored", name));
 * }</pre>
 */
public final class ModuleParams {
    /** Properties that Configuration Admin, SCR and FileInstall add; never parameters. */
    private static final Set<String> FRAMEWORK_KEYS = Set.of("service.pid", "service.factoryPid", "service.bundleLocation",
            "component.name", "component.id", "felix.fileinstall.filename", "osgi.ds.satisfying.condition.target");

    private ModuleParams() {}

    public static boolean bool(Map<String, ?> props, String name, boolean def) {
        Object v = props.get(name);
        if (v == null) {
            return def;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        String s = v.toString().trim();
        return switch (s) {
            case "1", "y", "Y", "true", "on" -> true;
            case "0", "n", "N", "false", "off" -> false;
            default -> throw invalid(name, v, "a bool (y/n, 1/0, true/false)");
        };
    }

    public static int i32(Map<String, ?> props, String name, int def) {
        Object v = props.get(name);
        if (v == null) {
            return def;
        }
        long l = integer(name, v, "a 32-bit integer");
        if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
            throw invalid(name, v, "a 32-bit integer");
        }
        return (int) l;
    }

    /** A {@code usize}: a non-negative 64-bit integer. */
    public static long usize(Map<String, ?> props, String name, long def) {
        Object v = props.get(name);
        if (v == null) {
            return def;
        }
        long l = integer(name, v, "a non-negative integer");
        if (l < 0) {
            throw invalid(name, v, "a non-negative integer");
        }
        return l;
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
        List<Object> items = new ArrayList<>();
        if (v instanceof int[] a) {
            Arrays.stream(a).forEach(items::add);
        } else if (v instanceof Integer[] a) {
            items.addAll(Arrays.asList(a));
        } else if (v instanceof Object[] a) {
            items.addAll(Arrays.asList(a));
        } else if (v instanceof Collection<?> c) {
            items.addAll(c);
        } else if (!v.toString().isBlank()) {
            items.addAll(Arrays.asList((Object[]) v.toString().split(",")));
        }
        if (items.size() > max) {
            throw invalid(name, v, "at most " + max + " integers");
        }
        int[] out = new int[items.size()];
        for (int i = 0; i < out.length; i++) {
            long l = integer(name, items.get(i), "a list of 32-bit integers");
            if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
                throw invalid(name, v, "a list of 32-bit integers");
            }
            out[i] = (int) l;
        }
        return out;
    }

    /** Calls {@code report} with each property that is neither a known parameter nor a framework key. */
    public static void warnUnknown(Map<String, ?> props, Set<String> known, Consumer<String> report) {
        props.keySet().stream().filter(k -> !known.contains(k) && !FRAMEWORK_KEYS.contains(k) && !k.startsWith("."))
                .sorted().forEach(report);
    }

    private static long integer(String name, Object v, String what) {
        if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        try {
            return Long.decode(v.toString().trim());
        } catch (NumberFormatException e) {
            throw invalid(name, v, what);
        }
    }

    private static KernelException invalid(String name, Object v, String what) {
        String shown = v instanceof Object[] a ? Arrays.toString(a) : v instanceof int[] a ? Arrays.toString(a) : String.valueOf(v);
        return new KernelException(Errno.EINVAL, "parameter '" + name + "': '" + shown + "' is not " + what);
    }
}
