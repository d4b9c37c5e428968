package org.devhost.fleet;

import java.io.IOException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.devhost.fleet.FleetView.Device;
import org.devhost.fleet.FleetView.Node;
import org.devhost.fleet.proto.SparkplugB.Payload;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.Designate;

/**
 * A Sparkplug B host application in this host's shell (ARCHITECTURE.md section 15): runs only
 * while the configuration {@value #PID} exists ({@code conf/org.devhost.fleet.host.cfg}), and then
 * offers the {@code fleet} commands. The connection and the STATE are the {@link HostLink}'s; what
 * the group's edge nodes said is the {@link FleetView}'s; this class turns commands into NCMDs and
 * waits, bounded, for each node's {@code Node Control/Result}, printing one line per node.
 *
 * <p>A command names its request ({@code Node Control/Request Id}: the host id and a counter), so
 * each node's result is matched to the command that asked, never to an earlier one that timed out.
 * Thread-safe: the shell may run commands from several sessions at once.
 */
@Component(service = HostApplication.class, configurationPid = HostApplication.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true, property = {
                "osgi.command.scope=fleet", "osgi.command.function=ls", "osgi.command.function=devices",
                "osgi.command.function=insmod", "osgi.command.function=rmmod", "osgi.command.function=restart",
                "osgi.command.function=set"})
@Designate(ocd = FleetHostConfig.class)
public final class HostApplication {
    static final String PID = "org.devhost.fleet.host";
    private static final DateTimeFormatter SINCE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());

    private final Settings settings;
    private final int timeoutSeconds;
    private final FleetView view = new FleetView();
    private final HostLink link;
    private final AtomicLong requests = new AtomicLong();
    /** Node and request id to the caller waiting for that node's result. */
    private final Map<String, CompletableFuture<Map<String, String>>> waiting = new ConcurrentHashMap<>();

    @Activate
    public HostApplication(@Reference(service = LoggerFactory.class) Logger log, FleetHostConfig config) {
        Settings s;
        try {
            s = Settings.of(config);
        } catch (IllegalArgumentException e) {
            log.error("fleet host: {} ({}); the host application is off", e.getMessage(), PID);
            s = null;
        }
        this.settings = s;
        this.timeoutSeconds = Math.max(1, config.command_timeout_s());
        this.link = s == null ? null : new HostLink(s, view, this::result, log);
        if (link != null) {
            link.start();
        }
    }

    @Deactivate
    void deactivate() {
        if (link != null) {
            link.stop();
        }
    }

    private void result(String node, Map<String, String> r) {
        String request = r.get("request");
        if (request == null) {
            return;
        }
        CompletableFuture<Map<String, String>> f = waiting.remove(key(node, request));
        if (f != null) {
            f.complete(r);
        }
    }

    private static String key(String node, String request) {
        return node + "\n" + request;
    }

    private void configured() {
        if (link == null) {
            throw new KernelException(Errno.EINVAL, "the host application's configuration (" + PID + ") was refused;"
                    + " dev:dmesg says why");
        }
    }

    @Descriptor("list the group's edge nodes: online or offline and since when, bdSeq, modules, restarts, devices")
    public String ls() {
        configured();
        List<Node> nodes = view.nodes();
        long online = nodes.stream().filter(Node::online).count();
        StringBuilder sb = new StringBuilder("host application " + settings.node() + " at " + settings.brokerUrl()
                + ", group " + settings.group() + ": " + (link.online() ? "online" : "not connected") + "; "
                + nodes.size() + " nodes, " + online + " online; " + view.messages() + " messages taken\n");
        int w = Math.max(4, nodes.stream().mapToInt(n -> n.id().length()).max().orElse(4));
        String row = "%-" + w + "s  %-7s  %-19s  %5s  %7s  %8s  %7s  %s%n";
        sb.append(String.format(row, "NODE", "STATE", "SINCE", "BDSEQ", "MODULES", "RESTARTS", "DEVICES", "VERSION"));
        for (Node n : nodes) {
            sb.append(String.format(row, n.id(), n.online() ? "online" : "offline", SINCE.format(Instant.ofEpochMilli(n.since())),
                    n.bdSeq() < 0 ? "-" : String.valueOf(n.bdSeq()), n.modules().size(), n.restarts(), n.devices().size(),
                    n.version().isEmpty() ? "-" : n.version()));
        }
        return sb.toString().stripTrailing();
    }

    @Descriptor("list an edge node's devices and modules, as its births and data said")
    public String devices(@Descriptor("the edge node id, as fleet:ls shows it") String node) {
        configured();
        Node n = view.node(node);
        if (n == null) {
            throw new KernelException(Errno.ENOENT, "fleet:devices: no edge node " + node + " has been born in group "
                    + settings.group());
        }
        StringBuilder sb = new StringBuilder(n.id() + ": " + (n.online() ? "online" : "offline") + " since "
                + SINCE.format(Instant.ofEpochMilli(n.since())) + (n.online() ? "" : " (its last birth's devices)") + "\n");
        int w = Math.max(6, n.devices().values().stream().mapToInt(d -> d.name().length()).max().orElse(6));
        String row = "%-" + w + "s  %-9s  %-20s  %-5s  %s%n";
        sb.append(String.format(row, "DEVICE", "NUMBER", "MODULE", "TYPE", "MODE"));
        for (Device d : n.devices().values()) {
            sb.append(String.format(row, d.name(), d.number(), d.module(), d.type(), d.mode()));
        }
        int mw = Math.max(6, n.modules().keySet().stream().mapToInt(String::length).max().orElse(6));
        String mrow = "%-" + mw + "s  %-10s  %8s  %s%n";
        sb.append(String.format("%n" + mrow, "MODULE", "STATE", "RESTARTS", "VERSION"));
        for (Map.Entry<String, FleetView.Module> m : n.modules().entrySet()) {
            sb.append(String.format(mrow, m.getKey(), m.getValue().state(), m.getValue().restarts(), m.getValue().version()));
        }
        return sb.toString().stripTrailing();
    }

    @Descriptor("load a module from a URL on edge nodes, its SHA-256 pinned; one line per node: ok, errno and message, or no answer")
    public String insmod(
            @Descriptor("the jar's SHA-256 (64 hex digits): every node refuses a jar that differs")
            @Parameter(names = {"--sha256"}, absentValue = "") String sha256,
            @Descriptor("every edge node online now")
            @Parameter(names = {"--all"}, presentValue = "true", absentValue = "false") boolean all,
            @Descriptor("seconds to wait for each node's answer (default: command.timeout.s)")
            @Parameter(names = {"--timeout"}, absentValue = "0") int timeout,
            @Descriptor("the jar's URL, as each node reaches it") String url,
            @Descriptor("edge node ids (or --all)") String... nodes) {
        if (!sha256.matches("[0-9a-fA-F]{64}")) {
            throw new KernelException(Errno.EINVAL, "fleet:insmod needs --sha256 and the jar's 64 hex digits: every node"
                    + " loads only a jar with that digest");
        }
        return send("Load Module", "--sha256 " + sha256 + " " + url, all, nodes, timeout);
    }

    @Descriptor("unload a module on edge nodes; one line per node")
    public String rmmod(
            @Descriptor("unload even when in use (open files get ENODEV)")
            @Parameter(names = {"-f", "--force"}, presentValue = "true", absentValue = "false") boolean force,
            @Descriptor("every edge node online now")
            @Parameter(names = {"--all"}, presentValue = "true", absentValue = "false") boolean all,
            @Descriptor("seconds to wait for each node's answer (default: command.timeout.s)")
            @Parameter(names = {"--timeout"}, absentValue = "0") int timeout,
            @Descriptor("the module's name") String module,
            @Descriptor("edge node ids (or --all)") String... nodes) {
        return send("Unload Module", (force ? "-f " : "") + module, all, nodes, timeout);
    }

    @Descriptor("restart a module on edge nodes; one line per node")
    public String restart(
            @Descriptor("every edge node online now")
            @Parameter(names = {"--all"}, presentValue = "true", absentValue = "false") boolean all,
            @Descriptor("seconds to wait for each node's answer (default: command.timeout.s)")
            @Parameter(names = {"--timeout"}, absentValue = "0") int timeout,
            @Descriptor("the module's name") String module,
            @Descriptor("edge node ids (or --all)") String... nodes) {
        return send("Restart Module", module, all, nodes, timeout);
    }

    @Descriptor("set a module's parameters on edge nodes (all or none on each, as the kernel checks them); one line per node")
    public String set(
            @Descriptor("every edge node online now")
            @Parameter(names = {"--all"}, presentValue = "true", absentValue = "false") boolean all,
            @Descriptor("seconds to wait for each node's answer (default: command.timeout.s)")
            @Parameter(names = {"--timeout"}, absentValue = "0") int timeout,
            @Descriptor("the module's name") String module,
            @Descriptor("name=value... then the edge node ids (or --all)") String... words) {
        // the leading words with '=' are parameters, the rest nodes (an id with '=' is reached with --all)
        int n = 0;
        while (n < words.length && words[n].indexOf('=') > 0) {
            n++;
        }
        if (n == 0) {
            throw new KernelException(Errno.EINVAL, "fleet:set takes MODULE name=value... NODE... (or --all): no name=value given");
        }
        String[] nodes = java.util.Arrays.copyOfRange(words, n, words.length);
        return send("Set Parameters", module + " " + String.join(" ", java.util.Arrays.copyOfRange(words, 0, n)), all, nodes,
                timeout);
    }

    /**
     * Sends {@code command} with {@code argument} to each target node and waits for every answer
     * until one shared deadline; one line per node, in the order named (or of {@code fleet:ls}).
     */
    private String send(String command, String argument, boolean all, String[] named, int timeout) {
        configured();
        if (all == (named.length > 0)) {
            throw new KernelException(Errno.EINVAL, "name the edge nodes, or give --all (every node online now), not"
                    + " both and not neither");
        }
        int seconds = timeout > 0 ? timeout : timeoutSeconds;
        LinkedHashSet<String> targets = new LinkedHashSet<>();
        if (all) {
            view.nodes().stream().filter(Node::online).forEach(n -> targets.add(n.id()));
            if (targets.isEmpty()) {
                return "no edge node of group " + settings.group() + " is online";
            }
        } else {
            targets.addAll(List.of(named));
        }
        String request = settings.node() + "-" + requests.incrementAndGet();
        byte[] payload = Payload.newBuilder().setTimestamp(System.currentTimeMillis())
                .addMetrics(Payloads.string(Payloads.REQUEST, request))
                .addMetrics(Payloads.string("Node Control/" + command, argument)).build().toByteArray();
        Map<String, String> lines = new LinkedHashMap<>();
        Map<String, CompletableFuture<Map<String, String>>> mine = new LinkedHashMap<>();
        try {
            for (String node : targets) {
                String invalid = Topics.invalidId(node);
                Node n = invalid == null ? view.node(node) : null;
                if (invalid != null) {
                    lines.put(node, "not an edge node id (" + invalid + "); not sent");
                } else if (n == null) {
                    lines.put(node, "no such edge node (no birth seen in group " + settings.group() + "); not sent");
                } else if (!n.online()) {
                    lines.put(node, "offline since " + SINCE.format(Instant.ofEpochMilli(n.since())) + "; not sent");
                } else {
                    CompletableFuture<Map<String, String>> f = new CompletableFuture<>();
                    waiting.put(key(node, request), f);
                    try {
                        link.command(node, payload);
                        mine.put(node, f);
                        lines.put(node, null);
                    } catch (IOException e) {
                        waiting.remove(key(node, request));
                        lines.put(node, "not sent: " + e.getMessage());
                    }
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            for (Map.Entry<String, CompletableFuture<Map<String, String>>> e : mine.entrySet()) {
                try {
                    Map<String, String> r = e.getValue().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    lines.put(e.getKey(), "ok".equals(r.get("result"))
                            ? "ok" + (r.get("module") != null ? " (" + r.get("module") + ")" : "")
                            : r.getOrDefault("result", "?") + ": " + r.getOrDefault("message", ""));
                } catch (TimeoutException t) {
                    lines.put(e.getKey(), "no answer within " + seconds + " s");
                } catch (ExecutionException x) {
                    lines.put(e.getKey(), "failed: " + x.getCause());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KernelException(Errno.EINTR, "fleet: interrupted while waiting for the nodes' answers");
        } finally {
            for (String node : mine.keySet()) {
                waiting.remove(key(node, request));
            }
        }
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, String> l : lines.entrySet()) {
            out.add(l.getKey() + ": " + l.getValue());
        }
        return String.join("\n", out);
    }
}
