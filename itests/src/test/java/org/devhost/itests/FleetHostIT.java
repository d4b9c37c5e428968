package org.devhost.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import javax.net.SocketFactory;
import org.devhost.itests.SparkplugSubscriber.Message;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.eclipse.tahu.message.SparkplugBPayloadEncoder;
import org.eclipse.tahu.message.model.Metric;
import org.eclipse.tahu.message.model.MetricDataType;
import org.eclipse.tahu.message.model.SparkplugBPayload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fleet's host application, end to end: real {@code ./devhost} hosts as edge nodes and one
 * more {@code ./devhost} as the Sparkplug host application ({@code conf/org.devhost.fleet.host.cfg})
 * on a real Mosquitto the test starts on a free loopback port; the person's side is the {@code
 * fleet:*} commands typed into that host's shell.
 *
 * <ul>
 *   <li>Three edge nodes that name the host application as primary wait for its STATE; once it
 *       is online they are born, {@code fleet:ls} shows three online and {@code fleet:devices} what
 *       their {@code dev:ls} shows; an unload, a load over HTTP with a wrong SHA-256 (refused on
 *       each, one line per node) and with the right one (loaded on each: their {@code dev:ls}), and
 *       a restart, with {@code --all} and by name; {@code fleet:set} of module parameters (a
 *       writable one changes on each node, as the module's own log says; a read-only one is EPERM
 *       on each, an unknown module ENOENT); {@code kill -9} of one: offline in {@code
 *       fleet:ls} (its Will, with the bdSeq {@code fleet:ls} showed), and a command to it is not
 *       sent; {@code kill -9} of the host application: its Will, the retained STATE offline, and
 *       the edge nodes start over.
 *   <li>TLS with a CA the test makes (openssl), a client certificate per host and the README's
 *       ACL: host a's identity cannot command host b (b never acts) nor publish b's birth; a
 *       client without a certificate, with one of another CA, or without TLS, is refused.
 *   <li>Scale: 1,000 simulated edge nodes (births, then a steady rate of data; bounded in count
 *       and time; loopback only) beside a real one: {@code fleet:ls} answers over 1,001 nodes; the
 *       messages per second and the host application's CPU and memory are printed (measured, not
 *       asserted).
 * </ul>
 * Every wait is for a state, bounded; brokers, hosts and the HTTP server are ended whatever happens.
 */
class FleetHostIT {
    private static final String GROUP = "fleethost";
    private static final long BOUND_SECONDS = 90;

    @TempDir
    Path tmp;

    @Test
    void aHostApplicationInTheShellFollowsAndCommandsThreeEdgeNodes() throws Exception {
        Needs.that(Mosquitto.binary() != null, "mosquitto is not installed (apt-get install mosquitto): FleetHostIT runs its own broker");
        Path jar = Path.of(HostSession.driverJar("rust_miscdev"));
        byte[] jarBytes = Files.readAllBytes(jar);
        String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(jarBytes));
        HttpServer http = serve(jarBytes);
        String url = "http://127.0.0.1:" + http.getAddress().getPort() + "/rust_miscdev.jar";
        List<AutoCloseable> open = new ArrayList<>();
        try (Mosquitto broker = new Mosquitto(Files.createDirectory(tmp.resolve("broker")))) {
            broker.start();
            SparkplugSubscriber sub = new SparkplugSubscriber(broker.url(), "spBv1.0/" + GROUP + "/#");
            open.add(sub);
            States states = new States(broker.url(), null);
            open.add(states);
            Map<String, HostSession> edges = new LinkedHashMap<>();
            for (String node : List.of("a", "b", "c")) {
                HostSession e = edge(node, broker.url(), "primary.host.id=scada\n");
                open.add(e);
                edges.put(node, e);
            }
            // they wait for the primary host application: connected, and no birth
            for (HostSession e : edges.values()) {
                e.until("dev:dmesg", o -> o.contains("waiting for primary host scada to be online"));
            }
            assertTrue(sub.all(m -> m.type().equals("NBIRTH")).isEmpty(), "no birth before the host application is online");

            HostSession scada = hostApplication("scada", broker.url(), "");
            open.add(scada);
            String online = states.await("STATE of scada online", s -> s.contains("\"online\":true"));
            assertTrue(online.matches("\\{\"online\":true,\"timestamp\":\\d+}"), online);
            Map<String, String[]> ls = fleetLs(scada.until("fleet:ls", o -> count(fleetLs(o), "online") == 3));
            assertEquals(List.of("a", "b", "c"), List.copyOf(ls.keySet()));

            // fleet:devices shows what the node's dev:ls shows
            Map<String, String> devA = devices(edges.get("a"));
            String fleetDevices = scada.until("fleet:devices a", o -> devA.keySet().stream().allMatch(o::contains));
            for (Map.Entry<String, String> d : devA.entrySet()) {
                assertTrue(fleetDevices.lines().anyMatch(l -> l.startsWith(d.getKey() + " ") && l.contains(" " + d.getValue() + " ")),
                        d + " in\n" + fleetDevices);
            }

            // unload everywhere, then a load with a wrong hash: refused on each node, one line per node
            assertLines(scada.run("fleet:rmmod -f rust_miscdev --all"), List.of("a", "b", "c"), "ok (rust_miscdev)");
            for (HostSession e : edges.values()) {
                assertFalse(e.run("dev:lsmod").contains("rust_miscdev"));
            }
            String refused = scada.run("fleet:insmod --sha256 " + "0".repeat(64) + " " + url + " --all");
            assertLines(refused, List.of("a", "b", "c"), "EACCES: ");
            assertTrue(refused.lines().allMatch(l -> l.contains("SHA-256")), refused);
            for (HostSession e : edges.values()) {
                assertFalse(e.run("dev:lsmod").contains("rust_miscdev"));
            }

            // the right hash: loaded on all three, their dev:ls shows the device, and so does fleet:devices
            assertLines(scada.run("fleet:insmod --sha256 " + sha256 + " " + url + " --all"), List.of("a", "b", "c"), "ok (rust_miscdev)");
            for (HostSession e : edges.values()) {
                assertTrue(devices(e).containsKey("rust_miscdev"), e.run("dev:ls"));
            }
            scada.until("fleet:devices b", o -> o.lines().anyMatch(l -> l.startsWith("rust_miscdev ")));
            assertLines(scada.run("fleet:restart rust_miscdev a b"), List.of("a", "b"), "ok (rust_miscdev)");
            assertLines(scada.run("fleet:restart no_such_module c"), List.of("c"), "ENOENT: ");

            // module parameters: writable ones change on each node (the module's own log line says so);
            // a read-only one of a loaded module is refused on each (EPERM), and so is the whole set (all or none)
            assertLines(scada.run("fleet:set rust_module_parameters my_i32=1234 my_str=fleet a b c"), List.of("a", "b", "c"),
                    "ok (rust_module_parameters)");
            for (HostSession e : edges.values()) {
                e.until("dev:dmesg", o -> o.contains("parameters now: my_i32=1234 my_str=fleet "));
            }
            String readOnly = scada.run("fleet:set rust_module_parameters my_i32=99 my_bool=n --all");
            assertLines(readOnly, List.of("a", "b", "c"), "EPERM: ");
            assertTrue(readOnly.lines().allMatch(l -> l.contains("my_bool")), readOnly);
            assertLines(scada.run("fleet:set rust_module_parameters my_i32=zero b"), List.of("b"), "EINVAL: ");
            assertLines(scada.run("fleet:set no_such_module x=1 c"), List.of("c"), "ENOENT: ");
            // nothing of the refused sets was applied: the next change's line still shows my_i32 as set
            assertLines(scada.run("fleet:set rust_module_parameters my_usize=7 a"), List.of("a"), "ok (rust_module_parameters)");
            assertTrue(edges.get("a").until("dev:dmesg", o -> o.contains("my_usize=7"))
                    .contains("parameters now: my_i32=1234 my_str=fleet my_usize=7"), "the refused sets changed nothing");

            // kill -9 of c: the broker sends its Will; the host application shows it offline
            String bdSeqC = fleetLs(scada.run("fleet:ls")).get("c")[4];
            int mark = sub.mark();
            long killed = System.nanoTime();
            edges.get("c").close();
            scada.until("fleet:ls", o -> "offline".equals(fleetLs(o).get("c")[1]));
            long seen = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
            Message death = sub.await(mark, "NDEATH of c (its Will)", m -> m.is("NDEATH", "c"));
            assertEquals(Long.valueOf(bdSeqC), death.metric("bdSeq"), death.toString());
            // measured, not asserted: a killed process's socket is closed by its kernel, so the broker sends
            // the Will at once; only a link that goes silent waits for 1.5 x the keep-alive (here 3 s)
            System.out.println("FleetHostIT: c offline in fleet:ls " + seen + " ms after kill -9 (keep-alive 2 s;"
                    + " polled through the shell)");
            assertLines(scada.run("fleet:restart rust_miscdev c"), List.of("c"), "offline since ");
            assertEquals(2, count(fleetLs(scada.run("fleet:ls")), "online"));

            // kill -9 of the host application: its Will is the retained STATE offline; the nodes start over
            int before = states.mark();
            scada.close();
            String offline = states.await(before, "STATE of scada offline (its Will)", s -> s.contains("\"online\":false"));
            assertEquals(online.replace("true", "false"), offline, "the Will carries the timestamp of the STATE online");
            edges.get("a").until("dev:dmesg", o -> o.contains("primary host scada went offline"));
        } finally {
            closeAll(open);
            http.stop(0);
        }
    }

    /**
     * TLS only, a client certificate per host (its CN the node's id), and the README's ACL: edge
     * nodes a and b and the host application scada work over it (a command from scada reaches b);
     * host a's own identity cannot command b (the broker drops the NCMD: b never acts) and cannot
     * publish b's birth; a client with no certificate, one of another CA, or no TLS is refused.
     */
    @Test
    void overTlsWithAnAclANodeCannotCommandOrImpersonateAnother() throws Exception {
        Needs.that(Mosquitto.binary() != null, "mosquitto is not installed (apt-get install mosquitto): FleetHostIT runs its own broker");
        Needs.that(Needs.onPath("openssl"), "openssl is not installed (apt-get install openssl): the test makes its own CA");
        FleetTls ca = new FleetTls(tmp.resolve("pki"), "fleetit");
        FleetTls.Identity server = ca.issue("broker", true);
        Map<String, FleetTls.Identity> ids = new LinkedHashMap<>();
        for (String cn : List.of("a", "b", "scada", "observer")) {
            ids.put(cn, ca.issue(cn, false));
        }
        FleetTls rogue = new FleetTls(tmp.resolve("rogue"), "rogue");
        FleetTls.Identity fakeA = rogue.issue("a", false);
        Path brokerDir = Files.createDirectory(tmp.resolve("broker"));
        Path acl = brokerDir.resolve("acl");
        Files.writeString(acl, ACL + "user observer\ntopic read spBv1.0/#\n");
        List<AutoCloseable> open = new ArrayList<>();
        try (Mosquitto broker = Mosquitto.tls(brokerDir, ca.ca(), server.cert(), server.key(), acl)) {
            broker.start();
            SparkplugSubscriber observer = new SparkplugSubscriber(broker.url(), "spBv1.0/" + GROUP + "/#",
                    FleetTls.client(ca, ids.get("observer")));
            open.add(observer);
            HostSession scada = hostApplication("scada", broker.url(), tls(ca, ids.get("scada")));
            open.add(scada);
            HostSession a = edge("a", broker.url(), "primary.host.id=scada\n" + tls(ca, ids.get("a")));
            open.add(a);
            HostSession b = edge("b", broker.url(), "primary.host.id=scada\n" + tls(ca, ids.get("b")));
            open.add(b);
            String bdSeqB = fleetLs(scada.until("fleet:ls", o -> count(fleetLs(o), "online") == 2)).get("b")[4];
            observer.await("DBIRTH of b/scull0", m -> m.is("DBIRTH", "b") && "scull0".equals(m.device()));
            // the host application may command b: the ACL lets scada write NCMD, b read its own
            assertLines(scada.run("fleet:restart rust_miscdev b"), List.of("b"), "ok (rust_miscdev)");

            // host a's identity (its certificate, another client id): NCMD to b, and a birth as b
            SparkplugSubscriber asA = new SparkplugSubscriber(broker.url(), "spBv1.0/" + GROUP + "/NCMD/a",
                    FleetTls.client(ca, ids.get("a")));
            open.add(asA);
            asA.publish("spBv1.0/" + GROUP + "/NCMD/b", payload(null,
                    SparkplugSubscriber.string("Node Control/Request Id", "from-a"),
                    SparkplugSubscriber.string("Node Control/Unload Module", "-f scull")));
            SparkplugBPayload fakeBirth = payload(0L, new Metric.MetricBuilder("bdSeq", MetricDataType.Int64, 99L).createMetric(),
                    SparkplugSubscriber.string("Modules/evil/State", "live"));
            asA.publish("spBv1.0/" + GROUP + "/NBIRTH/b", fakeBirth);
            asA.publish("spBv1.0/" + GROUP + "/DBIRTH/b/evil", payload(1L, SparkplugSubscriber.string("Name", "evil")));
            // a's own topic is open to it: once this arrives, everything a sent before it has been routed or dropped
            asA.publish("spBv1.0/" + GROUP + "/NDATA/a", payload(null, SparkplugSubscriber.string("fleetit/marker", "after")));
            observer.await("a's marker", m -> m.is("NDATA", "a") && "after".equals(m.metric("fleetit/marker")));
            assertTrue(observer.all(m -> m.topic().endsWith("/NCMD/b") && "from-a".equals(m.metric("Node Control/Request Id"))).isEmpty(),
                    "the broker dropped a's NCMD to b");
            assertTrue(observer.all(m -> m.is("NBIRTH", "b") && Long.valueOf(99).equals(m.metric("bdSeq"))).isEmpty(),
                    "the broker dropped a's NBIRTH as b");
            assertTrue(observer.all(m -> "evil".equals(m.device())).isEmpty(), "the broker dropped a's DBIRTH as b");
            // and b never acted: a command from scada, sent after, is answered first and alone
            assertLines(scada.run("fleet:restart rust_miscdev b"), List.of("b"), "ok (rust_miscdev)");
            assertFalse(b.run("dev:dmesg").contains("from-a"), "b never heard a's command");
            assertTrue(b.run("dev:lsmod").contains("scull"));
            Map<String, String[]> ls = fleetLs(scada.run("fleet:ls"));
            assertEquals(bdSeqB, ls.get("b")[4], "b's birth in the host application is b's own");
            assertFalse(scada.run("fleet:devices b").contains("evil"));
            assertTrue(broker.log().contains("Denied PUBLISH"), "the broker says it denied a's publishes:\n" + broker.log());

            // refused: no certificate, another CA's certificate with a's name, no TLS at all
            assertRefused(broker.url(), FleetTls.client(ca, null), "a client without a certificate");
            assertRefused(broker.url(), FleetTls.client(ca, fakeA), "a client with a certificate of another CA");
            assertRefused(broker.url().replace("ssl:", "tcp:"), null, "a client without TLS");
        } finally {
            closeAll(open);
        }
    }

    /**
     * 1,000 simulated edge nodes (births, then data at a steady rate; at most {@value #SIM_MESSAGES}
     * messages and {@value #SIM_SECONDS} s; loopback only) beside a real edge node: the host
     * application's {@code fleet:ls} answers over 1,001 nodes. Prints the messages per second
     * through the broker and the host application's CPU and memory, read from {@code /proc} (what
     * {@code ps -o rss,time -p PID} shows), measured, not asserted.
     */
    @Test
    void aThousandSimulatedEdgeNodesBesideARealOne() throws Exception {
        Needs.that(Mosquitto.binary() != null, "mosquitto is not installed (apt-get install mosquitto): FleetHostIT runs its own broker");
        List<AutoCloseable> open = new ArrayList<>();
        try (Mosquitto broker = new Mosquitto(Files.createDirectory(tmp.resolve("broker")))) {
            broker.start();
            Path scadaDir = tmp.resolve("host-scada");
            HostSession scada = hostApplication("scada", broker.url(), "");
            open.add(scada);
            HostSession a = edge("a", broker.url(), "primary.host.id=scada\n");
            open.add(a);
            scada.until("fleet:ls", o -> count(fleetLs(o), "online") == 1);
            ProcessHandle host = ProcessHandle.allProcesses()
                    .filter(p -> p.info().commandLine().map(c -> c.contains(scadaDir + "/cache")).orElse(false))
                    .findFirst().orElseThrow(() -> new AssertionError("no process of the host application"));
            Counter counter = new Counter(broker.url());
            open.add(counter);

            String status0 = Files.readString(Path.of("/proc/" + host.pid() + "/status"));
            long cpu0 = cpuMillis(host.pid());
            long taken0 = taken(scada.run("fleet:ls"));
            long t0 = System.nanoTime();
            Simulator sim = new Simulator(broker.url(), SIM_NODES, SIM_CONNECTIONS, SIM_RATE);
            open.add(sim);
            sim.births();
            String ls = scada.until("fleet:ls", o -> count(fleetLs(o), "online") == SIM_NODES + 1);
            long bornMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            long births = sim.sent();
            sim.data(SIM_MESSAGES, SIM_SECONDS);
            long data = sim.sent() - births;
            long dataMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) - bornMillis;
            // the host application has taken everything the broker had for it: its count stops at the observer's
            long expected = counter.count();
            String after = scada.until("fleet:ls", o -> taken(o) - taken0 >= expected - 1 || stableTaken(o));
            long wall = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            long cpu = cpuMillis(host.pid()) - cpu0;
            long lsStart = System.nanoTime();
            Map<String, String[]> rows = fleetLs(scada.run("fleet:ls"));
            long lsMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lsStart);
            assertEquals(SIM_NODES + 1, rows.size(), "fleet:ls lists every node");
            assertEquals(SIM_NODES + 1, count(rows, "online"));
            assertEquals("1", rows.get("sim0999")[7], "a simulated node's device, from its DBIRTH");
            assertTrue(ls.contains(" " + (SIM_NODES + 1) + " nodes"), ls);
            String status = Files.readString(Path.of("/proc/" + host.pid() + "/status"));
            System.out.printf("FleetHostIT scale: %d simulated nodes on %d connections + 1 real; births of all %d seen by"
                            + " fleet:ls in %d ms; then %d NDATA in %d ms = %.0f msg/s published; the broker delivered %d"
                            + " messages of the group to an observer; the host application took %d messages (%s); its CPU"
                            + " %d ms over %d ms wall = %.0f%% of one core; %s, %s (before the simulated nodes: %s) (from /proc/%d/stat and /status, as"
                            + " ps -o pid,rss,time -p %d shows); fleet:ls over %d nodes answered in %d ms%n",
                    SIM_NODES, SIM_CONNECTIONS, SIM_NODES, bornMillis, data, dataMillis,
                    data * 1000.0 / Math.max(1, dataMillis), counter.count(), taken(after) - taken0,
                    after.lines().findFirst().orElse(""), cpu, wall, cpu * 100.0 / Math.max(1, wall),
                    line(status, "VmRSS"), line(status, "VmHWM"), line(status0, "VmRSS"), host.pid(), host.pid(), rows.size(), lsMillis);
        } finally {
            closeAll(open);
        }
    }

    static final int SIM_NODES = 1000;
    static final int SIM_CONNECTIONS = 10;
    /** NDATA per second, all simulated nodes together. */
    static final int SIM_RATE = 2000;
    static final int SIM_MESSAGES = 30_000;
    static final int SIM_SECONDS = 20;

    /** The README's ACL for edge nodes and the host application scada (Mosquitto, use_identity_as_username). */
    static final String ACL = """
            # the host application: its STATE, everything of the fleet to read, commands to write
            user scada
            topic readwrite spBv1.0/STATE/scada
            topic read spBv1.0/#
            topic write spBv1.0/+/NCMD/+
            topic write spBv1.0/+/DCMD/+/+

            # every edge node (its certificate's CN, %u): its own messages, its own commands, the STATE
            pattern write spBv1.0/+/NBIRTH/%u
            pattern write spBv1.0/+/NDEATH/%u
            pattern write spBv1.0/+/NDATA/%u
            pattern write spBv1.0/+/DBIRTH/%u/+
            pattern write spBv1.0/+/DDEATH/%u/+
            pattern write spBv1.0/+/DDATA/%u/+
            pattern read spBv1.0/+/NCMD/%u
            pattern read spBv1.0/+/DCMD/%u/+
            pattern read spBv1.0/STATE/+

            """;

    private static String tls(FleetTls ca, FleetTls.Identity id) {
        return "tls.ca.file=" + ca.ca() + "\ntls.cert.file=" + id.cert() + "\ntls.key.file=" + id.key() + "\n";
    }

    private static SparkplugBPayload payload(Long seq, Metric... metrics) {
        SparkplugBPayload p = new SparkplugBPayload(new Date(), new ArrayList<>(List.of(metrics)));
        if (seq != null) {
            p.setSeq(seq);
        }
        return p;
    }

    private static void assertRefused(String url, SocketFactory tls, String who) throws Exception {
        MqttClient c = new MqttClient(url, "fleetit-refused-" + System.nanoTime(), new MemoryPersistence());
        try {
            MqttConnectOptions o = new MqttConnectOptions();
            o.setConnectionTimeout(10);
            if (tls != null) {
                o.setSocketFactory(tls);
            }
            MqttException e = assertThrows(MqttException.class, () -> c.connect(o), who + " is refused");
            System.out.println("FleetHostIT: " + who + ": refused (" + e + (e.getCause() != null ? ", " + e.getCause() : "") + ")");
        } finally {
            c.close(true);
        }
    }

    /** "a: ok (...)" for every node in order, one line each. */
    private static void assertLines(String out, List<String> nodes, String expected) {
        List<String> lines = out.strip().lines().toList();
        assertEquals(nodes.size(), lines.size(), out);
        for (int i = 0; i < nodes.size(); i++) {
            assertTrue(lines.get(i).startsWith(nodes.get(i) + ": " + expected), "line " + i + " of:\n" + out);
        }
    }

    /** fleet:ls rows by node: NODE STATE DATE TIME BDSEQ MODULES RESTARTS DEVICES VERSION (columns split on blanks). */
    private static Map<String, String[]> fleetLs(String out) {
        Map<String, String[]> rows = new LinkedHashMap<>();
        boolean table = false;
        for (String line : out.split("\n")) {
            String[] cols = line.trim().split("\\s+");
            if (cols.length > 0 && cols[0].equals("NODE")) {
                table = true;
            } else if (table && cols.length >= 9) {
                rows.put(cols[0], cols);
            }
        }
        return rows;
    }

    private static long count(Map<String, String[]> rows, String state) {
        return rows.values().stream().filter(r -> r[1].equals(state)).count();
    }

    /** The "N messages taken" of fleet:ls's first line. */
    private static long taken(String ls) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+) messages taken").matcher(ls);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private long lastTaken = -1;

    /** Whether the count of taken messages did not move since the last look (the broker had no more). */
    private boolean stableTaken(String ls) {
        long t = taken(ls);
        boolean same = t == lastTaken;
        lastTaken = t;
        return same;
    }

    private static long cpuMillis(long pid) throws Exception {
        String[] f = Files.readString(Path.of("/proc/" + pid + "/stat")).replaceAll("^.*\\) ", "").split(" ");
        // after the command's name: field 14 utime and 15 stime are [11] and [12] here, in clock ticks (100 a second)
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10;
    }

    private static String line(String status, String key) {
        return status.lines().filter(l -> l.startsWith(key + ":")).findFirst().orElse(key + ": ?").replaceAll("\\s+", " ");
    }

    /** dev:ls as name to number. */
    private static Map<String, String> devices(HostSession host) throws Exception {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : host.run("dev:ls").split("\n")) {
            String[] cols = line.trim().split("\\s+");
            if (cols.length >= 5 && cols[3].matches("\\d+:\\d+")) {
                out.put(cols[0], cols[3]);
            }
        }
        return out;
    }

    private static HttpServer serve(byte[] jarBytes) throws Exception {
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/rust_miscdev.jar", exchange -> {
            exchange.sendResponseHeaders(200, jarBytes.length);
            try (var out = exchange.getResponseBody()) {
                out.write(jarBytes);
            }
        });
        http.start();
        return http;
    }

    private static void closeAll(List<AutoCloseable> open) {
        for (int i = open.size() - 1; i >= 0; i--) {
            try {
                open.get(i).close();
            } catch (Exception e) {
                // the next one still closes
            }
        }
    }

    /** An edge node: {@code conf/org.devhost.fleet.cfg}, a short keep-alive, devfs off. */
    private HostSession edge(String node, String brokerUrl, String more) throws Exception {
        return host("host-" + node, "org.devhost.fleet.cfg", "broker.url=" + brokerUrl + "\ngroup.id=" + GROUP
                + "\nedge.node.id=" + node + "\nkeep.alive.s=2\nreconnect.initial.ms=100\nreconnect.max.ms=1000\n" + more);
    }

    /** The host application: {@code conf/org.devhost.fleet.host.cfg}. */
    private HostSession hostApplication(String id, String brokerUrl, String more) throws Exception {
        return host("host-" + id, "org.devhost.fleet.host.cfg", "broker.url=" + brokerUrl + "\ngroup.id=" + GROUP
                + "\nhost.id=" + id + "\nkeep.alive.s=2\ncommand.timeout.s=60\nreconnect.initial.ms=100\nreconnect.max.ms=1000\n" + more);
    }

    private HostSession host(String folder, String cfg, String text) throws Exception {
        Path own = Files.createDirectory(tmp.resolve(folder));
        Path conf = Files.createDirectory(own.resolve("conf"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path part = Files.createTempFile(own, "part", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(part, text);
        Files.move(part, conf.resolve(cfg), StandardCopyOption.ATOMIC_MOVE);
        return new HostSession(own, HostSession.ROOT, "devhost.devfs=off");
    }

    /** The retained STATEs of host applications, as they arrive (JSON text). */
    private static final class States implements AutoCloseable {
        private final MqttClient client;
        private final List<String> states = new ArrayList<>();

        States(String url, SocketFactory tls) throws Exception {
            client = new MqttClient(url, "fleetit-states-" + System.nanoTime(), new MemoryPersistence());
            client.setCallback(new MqttCallback() {
                @Override
                public void connectionLost(Throwable cause) {}

                @Override
                public void messageArrived(String topic, MqttMessage message) {
                    synchronized (states) {
                        states.add(new String(message.getPayload(), StandardCharsets.UTF_8));
                        states.notifyAll();
                    }
                }

                @Override
                public void deliveryComplete(IMqttDeliveryToken token) {}
            });
            MqttConnectOptions o = new MqttConnectOptions();
            if (tls != null) {
                o.setSocketFactory(tls);
            }
            client.connect(o);
            client.subscribe("spBv1.0/STATE/+", 1);
        }

        int mark() {
            synchronized (states) {
                return states.size();
            }
        }

        String await(String what, Predicate<String> p) throws InterruptedException {
            return await(0, what, p);
        }

        String await(int from, String what, Predicate<String> p) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
            synchronized (states) {
                while (true) {
                    for (int i = from; i < states.size(); i++) {
                        if (p.test(states.get(i))) {
                            return states.get(i);
                        }
                    }
                    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                    if (left <= 0) {
                        throw new AssertionError("no " + what + " within " + BOUND_SECONDS + " s; came: " + states);
                    }
                    states.wait(left);
                }
            }
        }

        @Override
        public void close() throws Exception {
            try {
                client.disconnect(1000);
            } catch (MqttException e) {
                // gone already
            }
            client.close(true);
        }
    }

    /** Counts every message of the group the broker delivers to one more subscriber (QoS 0). */
    private static final class Counter implements AutoCloseable {
        private final MqttClient client;
        private final AtomicLong count = new AtomicLong();

        Counter(String url) throws Exception {
            client = new MqttClient(url, "fleetit-counter-" + System.nanoTime(), new MemoryPersistence());
            client.setCallback(new MqttCallback() {
                @Override
                public void connectionLost(Throwable cause) {}

                @Override
                public void messageArrived(String topic, MqttMessage message) {
                    count.incrementAndGet();
                }

                @Override
                public void deliveryComplete(IMqttDeliveryToken token) {}
            });
            client.connect(new MqttConnectOptions());
            client.subscribe("spBv1.0/" + GROUP + "/#", 0);
        }

        long count() {
            return count.get();
        }

        @Override
        public void close() throws Exception {
            try {
                client.disconnect(1000);
            } catch (MqttException e) {
                // gone already
            }
            client.close(true);
        }
    }

    /**
     * Simulated edge nodes {@code sim0000}... on a few MQTT connections (each carrying a share of
     * the nodes, as a protocol gateway would): an NBIRTH and one DBIRTH each, encoded by Tahu, then
     * NDATA (a module's restart count) at a steady total rate, each node with its own seq. Loopback
     * only; bounded in count and time.
     */
    private static final class Simulator implements AutoCloseable {
        private final List<MqttClient> clients = new ArrayList<>();
        private final int nodes;
        private final int rate;
        private final long[] seq;
        private final AtomicLong sent = new AtomicLong();

        Simulator(String url, int nodes, int connections, int rate) throws Exception {
            this.nodes = nodes;
            this.rate = rate;
            this.seq = new long[nodes];
            for (int i = 0; i < connections; i++) {
                MqttClient c = new MqttClient(url, "fleetit-sim-" + i + "-" + System.nanoTime(), new MemoryPersistence());
                MqttConnectOptions o = new MqttConnectOptions();
                o.setMaxInflight(1000);
                c.connect(o);
                clients.add(c);
            }
        }

        private static String id(int i) {
            return String.format("sim%04d", i);
        }

        private void send(int node, String type, String device, SparkplugBPayload p) throws Exception {
            String topic = "spBv1.0/" + GROUP + "/" + type + "/" + id(node) + (device == null ? "" : "/" + device);
            clients.get(node % clients.size()).publish(topic, new SparkplugBPayloadEncoder().getBytes(p, false), 0, false);
            sent.incrementAndGet();
        }

        void births() throws Exception {
            for (int i = 0; i < nodes; i++) {
                seq[i] = 0;
                send(i, "NBIRTH", null, payload(0L, new Metric.MetricBuilder("bdSeq", MetricDataType.Int64, 0L).createMetric(),
                        SparkplugSubscriber.bool("Node Control/Rebirth", false),
                        SparkplugSubscriber.string("Properties/Devhost Version", "sim"),
                        SparkplugSubscriber.string("Modules/sim/State", "live"),
                        new Metric.MetricBuilder("Modules/sim/Restarts", MetricDataType.Int32, 0).createMetric(),
                        SparkplugSubscriber.string("Modules/sim/Version", "1.0")));
                send(i, "DBIRTH", "sim0", payload(++seq[i], SparkplugSubscriber.string("Name", "sim0"),
                        SparkplugSubscriber.string("Number", "240:" + i), SparkplugSubscriber.string("Module", "sim"),
                        SparkplugSubscriber.string("Type", "misc"), SparkplugSubscriber.string("Mode", "0600")));
            }
        }

        /** NDATA round the nodes at {@code rate} a second, until {@code count} are sent or {@code seconds} have passed. */
        void data(int count, int seconds) throws Exception {
            long start = System.nanoTime();
            long end = start + TimeUnit.SECONDS.toNanos(seconds);
            for (int n = 0; n < count && System.nanoTime() < end; n++) {
                int i = n % nodes;
                seq[i] = (seq[i] + 1) % 256;
                send(i, "NDATA", null, payload(seq[i],
                        new Metric.MetricBuilder("Modules/sim/Restarts", MetricDataType.Int32, n / nodes).createMetric()));
                long due = start + TimeUnit.SECONDS.toNanos(1) * (n + 1) / rate; // pacing the rate, not waiting for a state
                long ahead = due - System.nanoTime();
                if (ahead > 0) {
                    TimeUnit.NANOSECONDS.sleep(ahead);
                }
            }
        }

        long sent() {
            return sent.get();
        }

        @Override
        public void close() throws Exception {
            for (MqttClient c : clients) {
                try {
                    c.disconnect(1000);
                } catch (MqttException e) {
                    // gone already
                }
                c.close(true);
            }
        }
    }
}
