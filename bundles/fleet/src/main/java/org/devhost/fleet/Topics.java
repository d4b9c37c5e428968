package org.devhost.fleet;

import java.nio.charset.StandardCharsets;

/**
 * The Sparkplug B topic namespace of one edge node ({@code spBv1.0/GROUP/TYPE/NODE[/DEVICE]},
 * Sparkplug 3.0 chapter 4), and the escaping of a device name into a Sparkplug device id.
 * Immutable; thread-safe.
 */
final class Topics {
    static final String NAMESPACE = "spBv1.0";

    private final String group;
    private final String node;

    Topics(String group, String node) {
        this.group = group;
        this.node = node;
    }

    String group() {
        return group;
    }

    String node() {
        return node;
    }

    /** A node-level topic: NBIRTH, NDEATH, NDATA, NCMD. */
    String node(String type) {
        return NAMESPACE + "/" + group + "/" + type + "/" + node;
    }

    /** A device-level topic: DBIRTH, DDEATH, DDATA, DCMD; {@code device} as {@link #deviceId} made it. */
    String device(String type, String device) {
        return node(type) + "/" + device;
    }

    /** Where a Sparkplug host application publishes its STATE (JSON, retained). */
    static String state(String hostId) {
        return NAMESPACE + "/STATE/" + hostId;
    }

    /**
     * Null when {@code id} may be a group, edge node or host id; else why not. The specification
     * allows any UTF-8 string but the MQTT topic's reserved {@code +}, {@code /} and {@code #}; the
     * empty string would make a topic level without a name.
     */
    static String invalidId(String id) {
        if (id == null || id.isEmpty()) {
            return "it is empty";
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c == '+' || c == '/' || c == '#') {
                return "it contains '" + c + "', which MQTT topics reserve";
            }
            if (c < 0x20 || c == 0x7f) {
                return "it contains a control character";
            }
        }
        return null;
    }

    /**
     * A device name as a Sparkplug device id: the characters topics reserve ({@code +}, {@code
     * /}, {@code #}) and the escape character itself ({@code %}) are written as {@code %XX} (their
     * UTF-8 bytes in upper-case hex), every other character as it is. Device names never hold
     * {@code /} (the registry refuses it) but may hold {@code +} or {@code #}. The escaping is
     * one-to-one, so two device names never share an id.
     */
    static String deviceId(String deviceName) {
        StringBuilder sb = new StringBuilder(deviceName.length());
        for (int i = 0; i < deviceName.length(); i++) {
            char c = deviceName.charAt(i);
            if (c == '+' || c == '/' || c == '#' || c == '%' || c < 0x20 || c == 0x7f) {
                for (byte b : String.valueOf(c).getBytes(StandardCharsets.UTF_8)) {
                    sb.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
                            .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
                }
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
