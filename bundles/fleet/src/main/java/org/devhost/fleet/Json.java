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

    /**
     * A flat JSON object (what {@link #object} writes: a command's result) as a map; a value that
     * is not a string is kept as its text. Null when {@code text} is not such an object.
     */
    static Map<String, String> flat(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        int[] at = {skip(text, 0)};
        if (at[0] >= text.length() || text.charAt(at[0]) != '{') {
            return null;
        }
        at[0] = skip(text, at[0] + 1);
        if (at[0] < text.length() && text.charAt(at[0]) == '}') {
            return out;
        }
        while (true) {
            String key = string(text, at);
            if (key == null) {
                return null;
            }
            at[0] = skip(text, at[0]);
            if (at[0] >= text.length() || text.charAt(at[0]) != ':') {
                return null;
            }
            at[0] = skip(text, at[0] + 1);
            String value;
            if (at[0] < text.length() && text.charAt(at[0]) == '"') {
                value = string(text, at);
            } else {
                int end = at[0];
                while (end < text.length() && ",}".indexOf(text.charAt(end)) < 0) {
                    end++;
                }
                value = text.substring(at[0], end).trim();
                at[0] = end;
            }
            if (value == null) {
                return null;
            }
            out.put(key, value);
            at[0] = skip(text, at[0]);
            if (at[0] >= text.length()) {
                return null;
            }
            char c = text.charAt(at[0]++);
            if (c == '}') {
                return out;
            }
            if (c != ',') {
                return null;
            }
            at[0] = skip(text, at[0]);
        }
    }

    private static int skip(String s, int i) {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        return i;
    }

    /** The JSON string at {@code at[0]} (which then points past it), or null when there is none. */
    private static String string(String s, int[] at) {
        int i = at[0];
        if (i >= s.length() || s.charAt(i) != '"') {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        for (i++; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"') {
                at[0] = i + 1;
                return sb.toString();
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (++i >= s.length()) {
                return null;
            }
            char e = s.charAt(i);
            switch (e) {
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'u' -> {
                    if (i + 4 >= s.length()) {
                        return null;
                    }
                    try {
                        sb.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                    } catch (NumberFormatException x) {
                        return null;
                    }
                    i += 4;
                }
                default -> sb.append(e);
            }
        }
        return null;
    }

    /** A host application's STATE payload (Sparkplug 3.0 chapter 7): {@code {"online":B,"timestamp":N}}. */
    static String state(boolean online, long timestamp) {
        return "{\"online\":" + online + ",\"timestamp\":" + timestamp + "}";
    }

    /** A primary host application's STATE. */
    record State(boolean online, long timestamp) {}
}
