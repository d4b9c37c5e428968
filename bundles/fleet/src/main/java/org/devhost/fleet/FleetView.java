package org.devhost.fleet;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.devhost.fleet.proto.SparkplugB.Payload;
import org.devhost.fleet.proto.SparkplugB.Payload.Metric;

/**
 * The host application's picture of its group: every edge node it has heard of, online or
 * offline and since when, with what its last birth and later data said (modules with their state,
 * restarts and version; devices with their number, module, type and mode). Built only from what
 * arrives on the broker, in arrival order; a node's death counts only when its {@code bdSeq} is the
 * one of the birth it ends (a late Will of an earlier connection does not put a reborn node
 * offline). Thread-safe: every method holds the view's lock, for microseconds (Paho's thread feeds
 * it; the shell reads copies).
 */
final class FleetView {
    private final Map<String, NodeState> nodes = new TreeMap<>();
    private long messages;

    /** What one message asks of the host application, besides updating the view. */
    record Seen(List<Map<String, String>> results, boolean askRebirth) {
        static final Seen NOTHING = new Seen(List.of(), false);
    }

    /** A node as {@code fleet:ls} shows it: a copy. */
    record Node(String id, boolean online, long since, long bdSeq, String version, Map<String, Module> modules,
            Map<String, Device> devices) {
        int restarts() {
            return modules.values().stream().mapToInt(Module::restarts).sum();
        }
    }

    /** A module on a node: the {@code Modules/NAME/...} metrics. */
    record Module(String state, int restarts, String version) {}

    /** A device on a node: its DBIRTH's metrics. */
    record Device(String name, String number, String module, String type, String mode) {}

    private static final class NodeState {
        boolean online;
        long since;
        long bdSeq = -1;
        long lastSeq = -1;
        String version = "";
        final Map<String, Module> modules = new TreeMap<>();
        final Map<String, Device> devices = new TreeMap<>();
    }

    /**
     * Takes one message of the group ({@code spBv1.0/GROUP/TYPE/NODE[/DEVICE]}).
     *
     * @param now when it arrived (ms since the epoch): a node's "since"
     * @return command results it carried, and whether the node should be asked for a rebirth (a
     *     message from a node whose birth this host application has not seen, a gap in {@code
     *     seq}, or a metric its birth did not declare)
     */
    synchronized Seen take(String type, String node, String device, Payload p, long now) {
        messages++;
        NodeState n = nodes.get(node);
        switch (type) {
            case "NBIRTH" -> {
                if (n == null) {
                    n = new NodeState();
                    nodes.put(node, n);
                }
                n.online = true;
                n.since = now;
                n.bdSeq = -1;
                n.version = "";
                n.modules.clear();
                n.devices.clear();
                n.lastSeq = p.hasSeq() ? p.getSeq() : -1;
                Map<String, String[]> modules = new TreeMap<>();
                for (Metric m : p.getMetricsList()) {
                    if (Payloads.BD_SEQ.equals(m.getName())) {
                        n.bdSeq = m.hasLongValue() ? m.getLongValue() : m.getIntValue();
                    } else if (Payloads.VERSION.equals(m.getName())) {
                        n.version = m.getStringValue();
                    } else if (m.getName().startsWith(Payloads.MODULES)) {
                        moduleMetric(modules, m);
                    }
                }
                for (Map.Entry<String, String[]> e : modules.entrySet()) {
                    n.modules.put(e.getKey(), module(e.getValue()));
                }
                return Seen.NOTHING;
            }
            case "NDEATH" -> {
                if (n == null) {
                    return Seen.NOTHING;
                }
                long bdSeq = -1;
                for (Metric m : p.getMetricsList()) {
                    if (Payloads.BD_SEQ.equals(m.getName())) {
                        bdSeq = m.hasLongValue() ? m.getLongValue() : m.getIntValue();
                    }
                }
                if (n.online && (bdSeq == n.bdSeq || bdSeq < 0 || n.bdSeq < 0)) {
                    n.online = false;
                    n.since = now;
                }
                return Seen.NOTHING;
            }
            default -> {
                // DBIRTH, DDEATH, NDATA, DDATA: only meaningful after the node's birth
                if (n == null || !n.online) {
                    return type.endsWith("CMD") ? Seen.NOTHING : new Seen(results(p), !type.endsWith("CMD"));
                }
                boolean gap = false;
                if (p.hasSeq()) {
                    gap = n.lastSeq >= 0 && p.getSeq() != (n.lastSeq + 1) % 256;
                    n.lastSeq = p.getSeq();
                }
                boolean unknown = false;
                switch (type) {
                    case "DBIRTH" -> {
                        if (device != null) {
                            String[] v = new String[5];
                            for (Metric m : p.getMetricsList()) {
                                switch (m.getName()) {
                                    case "Name" -> v[0] = m.getStringValue();
                                    case "Number" -> v[1] = m.getStringValue();
                                    case "Module" -> v[2] = m.getStringValue();
                                    case "Type" -> v[3] = m.getStringValue();
                                    case "Mode" -> v[4] = m.getStringValue();
                                    default -> { }
                                }
                            }
                            n.devices.put(device, new Device(v[0] == null ? device : v[0], orEmpty(v[1]), orEmpty(v[2]),
                                    orEmpty(v[3]), orEmpty(v[4])));
                        }
                    }
                    case "DDEATH" -> n.devices.remove(device);
                    case "NDATA" -> {
                        Map<String, String[]> changed = new TreeMap<>();
                        for (Metric m : p.getMetricsList()) {
                            if (m.getName().startsWith(Payloads.MODULES)) {
                                moduleMetric(changed, m);
                            }
                        }
                        for (Map.Entry<String, String[]> e : changed.entrySet()) {
                            Module before = n.modules.get(e.getKey());
                            if (before == null) {
                                unknown = true; // a metric its birth did not declare
                                continue;
                            }
                            String[] v = e.getValue();
                            n.modules.put(e.getKey(), new Module(v[0] != null ? v[0] : before.state(),
                                    v[1] != null ? Integer.parseInt(v[1]) : before.restarts(), v[2] != null ? v[2] : before.version()));
                        }
                    }
                    default -> { }
                }
                return new Seen(results(p), gap || unknown);
            }
        }
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    /** {@code Modules/NAME/State|Restarts|Version} into {@code into[NAME]} = {state, restarts, version}. */
    private static void moduleMetric(Map<String, String[]> into, Metric m) {
        String rest = m.getName().substring(Payloads.MODULES.length());
        int slash = rest.lastIndexOf('/');
        if (slash <= 0) {
            return;
        }
        String[] v = into.computeIfAbsent(rest.substring(0, slash), k -> new String[3]);
        switch (rest.substring(slash + 1)) {
            case "State" -> v[0] = m.getStringValue();
            case "Restarts" -> v[1] = String.valueOf(m.getIntValue());
            case "Version" -> v[2] = m.getStringValue();
            default -> { }
        }
    }

    private static Module module(String[] v) {
        return new Module(orEmpty(v[0]), v[1] == null ? 0 : Integer.parseInt(v[1]), orEmpty(v[2]));
    }

    /** The {@code Node Control/Result} metrics of an NDATA, each as its JSON fields. */
    private static List<Map<String, String>> results(Payload p) {
        List<Map<String, String>> out = new ArrayList<>();
        for (Metric m : p.getMetricsList()) {
            if (Payloads.RESULT.equals(m.getName()) && m.hasStringValue()) {
                Map<String, String> r = Json.flat(m.getStringValue());
                if (r != null) {
                    out.add(r);
                }
            }
        }
        return out;
    }

    /** Every node, by id: copies. */
    synchronized List<Node> nodes() {
        List<Node> out = new ArrayList<>(nodes.size());
        for (Map.Entry<String, NodeState> e : nodes.entrySet()) {
            out.add(copy(e.getKey(), e.getValue()));
        }
        return out;
    }

    /** One node, or null when none of that id has been born. */
    synchronized Node node(String id) {
        NodeState n = nodes.get(id);
        return n == null ? null : copy(id, n);
    }

    /** How many messages of the group have been taken since the start. */
    synchronized long messages() {
        return messages;
    }

    private static Node copy(String id, NodeState n) {
        return new Node(id, n.online, n.since, n.bdSeq, n.version, new TreeMap<>(n.modules), new TreeMap<>(n.devices));
    }
}
