package org.devhost.web;

import java.util.Collection;
import java.util.Map;

/**
 * The little JSON the pages' endpoints write: objects, arrays, strings, numbers, booleans and
 * null, from plain Java values. No library, so the bundle imports nothing for it.
 *
 * <p>Stateless; thread-safe.
 */
final class Json {
    private Json() {}

    /** {@code value} as JSON: a Map is an object, a Collection or array an array, a Number or Boolean itself, anything else its text. */
    static String of(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object v) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof Map<?, ?> m) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                string(sb, String.valueOf(e.getKey()));
                sb.append(':');
                write(sb, e.getValue());
            }
            sb.append('}');
        } else if (v instanceof Collection<?> c) {
            array(sb, c.toArray());
        } else if (v instanceof Object[] a) {
            array(sb, a);
        } else if (v.getClass().isArray()) {
            int n = java.lang.reflect.Array.getLength(v);
            Object[] a = new Object[n];
            for (int i = 0; i < n; i++) {
                a[i] = java.lang.reflect.Array.get(v, i);
            }
            array(sb, a);
        } else if (v instanceof Boolean || v instanceof Integer || v instanceof Long || v instanceof Short
                || v instanceof Byte) {
            sb.append(v);
        } else if (v instanceof Number n && Double.isFinite(n.doubleValue())) {
            sb.append(n);
        } else {
            string(sb, v.toString());
        }
    }

    private static void array(StringBuilder sb, Object[] a) {
        sb.append('[');
        for (int i = 0; i < a.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            write(sb, a[i]);
        }
        sb.append(']');
    }

    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                // '<' escaped too, so a value can never close a <script> the text is put in
                case '<' -> sb.append("\\u003c");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
