package org.devhost.fleet;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The two bits of JSON the edge node needs: writing a flat object of strings (a command's result)
 * and reading a Sparkplug host application's STATE payload ({@code {"online":true,"timestamp":N}},
 * Sparkplug 3.0 chapter 6). No library: the host ships none, and both shapes are fixed and small.
 */
final class Json {
    private static final Pattern ONLINE = Pattern.compile("\"online\"\\s*:\\s*(true|false)");
    private static final Pattern TIMESTAMP = Pattern.compile("\"timestamp\"\\s*:\\s*(\\d{1,19})");

    private Json() {}

    /** A flat JSON object, keys in the order given; null values left out. */
    static String object(Map<String, String> fields) {
        StringBuilder sb = new StringBuilder("{");
        for (Map.Entry<String, String> e : fields.entrySet()) {
            if (e.getValue() == null) {
                continue;
            }
            if (sb.length() > 1) {
                sb.append(',');
            }
            quote(sb, e.getKey());
            sb.append(':');
            quote(sb, e.getValue());
        }
        return sb.append('}').toString();
    }

    /** Builds a map for {@link #object} in the order of the arguments: key, value, key, value... */
    static Map<String, String> fields(String... keyValues) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    private static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    /**
     * A STATE payload: whether the host application is online, and its timestamp; null when the
     * text has no {@code online} flag or no {@code timestamp} (both are required by the spec).
     */
    static State state(String text) {
        Matcher online = ONLINE.matcher(text);
        Matcher timestamp = TIMESTAMP.matcher(text);
        if (!online.find() || !timestamp.find()) {
            return null;
        }
        try {
            return new State(Boolean.parseBoolean(online.group(1)), Long.parseLong(timestamp.group(1)));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** A primary host application's STATE. */
    record State(boolean online, long timestamp) {}
}
