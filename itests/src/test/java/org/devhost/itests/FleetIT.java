package org.devhost.itests;

import static org.devhost.itests.SparkplugSubscriber.bool;
import static org.devhost.itests.SparkplugSubscriber.string;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.devhost.itests.SparkplugSubscriber.Message;
import org.eclipse.tahu.message.model.MetricDataType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fleet, end to end: real {@code ./devhost} hosts as Sparkplug B edge nodes on a real Mosquitto
 * broker that the test starts on a free loopback port with a config it writes, each host
 * configured by {@code conf/org.devhost.fleet.cfg} as README.md's "Fleet" section says. Everything
 * the hosts send is decoded by Eclipse Tahu (test class path only), and the commands the test
 * sends are encoded by it, so a payload only devhost's code understands fails here.
 *
 * <ul>
 *   <li>Births: each host's NBIRTH (seq 0, bdSeq as Int64, {@code Node Control/Rebirth} false, its
 *       modules' states) and a DBIRTH for every device {@code dev:ls} lists, with its number.
 *   <li>Commands to host a: unload with force (DDEATH; the result names the request), a load from
 *       a URL over HTTP on loopback with a wrong SHA-256 (refused, EACCES, nothing loaded), then with
 *       the right one (loaded; its device's DBIRTH with the number {@code dev:ls} shows), a restart
 *       (DDEATH and DBIRTH of its device). Host b hears none of it.
 *   <li>Crash: {@code faulty} with {@code fault=oops} on host a, five faults: its device dies and is
 *       born again, and {@code Modules/faulty/Restarts} 1 is NDATA.
 *   <li>Death: {@code kill -9} of host b brings its NDEATH, the Will, with the bdSeq of its last NBIRTH.
 *   <li>Broker restart: host a reconnects by itself (its log says so) and births again with a new
 *       bdSeq; its Will then carries that one ({@code kill -9} again).
 *   <li>The outbox: a change while the broker is down arrives after the next birth as historical data.
 *   <li>Several brokers: past a first URL that refuses connections, the node is born on the second.
 * </ul>
 * Every wait is for a state, bounded; the broker, the HTTP server and the hosts are ended whatever happens.
 */
class FleetIT {
    private static final String GROUP = "fleetit";
    private static final Pattern ONLINE = Pattern.compile("fleet: online at \\S+ as \\S+, bdSeq (\\d+)");

    @TempDir
    Path tmp;

    @Test
    void hostsAreSparkplugEdgeNodesOnARealBroker() throws Exception {
        Needs.that(Mosquitto.binary() != null, "mosquitto is not installed (apt-get install mosquitto): FleetIT runs its own broker");
        Path jar = Path.of(HostSession.driverJar("rust_miscdev"));
        byte[] jarBytes = Files.readAllBytes(jar);
        String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(jarBytes));
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/rust_miscdev.jar", exchange -> {
            exchange.sendResponseHeaders(200, jarBytes.length);
            try (var out = exchange.getResponseBody()) {
                out.write(jarBytes);
            }
        });
        http.start();
        String url = "http://127.0.0.1:" + http.getAddress().getPort() + "/rust_miscdev.jar";
        List<AutoCloseable> open = new ArrayList<>();
        try (Mosquitto broker = new Mosquitto(Files.createDirectory(tmp.resolve("broker")))) {
            broker.start();
            SparkplugSubscriber sub = new SparkplugSubscriber(broker.url(), "spBv1.0/" + GROUP + "/#");
            open.add(sub);
            // host a also serves its devices as files: a driver keeps serving them while the broker is away
            Needs.that(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse: host a's devfs is read during the broker's outage");
            Path mountA = tmp.resolve("mnt-a/dev");
            open.add(() -> { // closed after the host (the list closes last first)
                if (Files.readString(Path.of("/proc/self/mountinfo")).contains(" " + mountA + " ")) {
                    new ProcessBuilder("umount", "-l", mountA.toString()).start().waitFor(); // a host that was killed leaves its mount
                }
            });
            HostSession a = hostAt(Files.createDirectory(tmp.resolve("host-a")), "a", broker.url(), "",
                    "devhost.devfs.mount=" + mountA);
            open.add(a);
            HostSession b = host("b", broker);
            open.add(b);

            // births: every device dev:ls lists, with its number
            long bdSeqA = births(sub, a, "a");
            long bdSeqB = births(sub, b, "b");

            // unload with force: the device's death, and a result that names the request
            String ncmdA = "spBv1.0/" + GROUP + "/NCMD/a";
            int mark = sub.mark();
            sub.command(ncmdA, List.of(string("Node Control/Request Id", "unload-1"),
                    string("Node Control/Unload Module", "-f rust_miscdev")));
            assertResult(sub, mark, "a", "unload-1", "\"result\":\"ok\"");
            sub.await(mark, "DDEATH of a/rust_miscdev", m -> m.is("DDEATH", "a") && "rust_miscdev".equals(m.device()));
            Message rebirth = sub.await(mark, "NBIRTH of a without rust_miscdev", m -> m.is("NBIRTH", "a"));
            assertNull(rebirth.metric("Modules/rust_miscdev/State"), rebirth.toString());
            assertEquals(bdSeqA, rebirth.metric("bdSeq"), "a rebirth keeps the bdSeq (no new CONNECT)");
            assertFalse(a.run("dev:lsmod").contains("rust_miscdev"));

            // a load from a URL with a wrong SHA-256: refused, reported, nothing loaded
            mark = sub.mark();
            String wrong = "0".repeat(64);
            sub.command(ncmdA, List.of(string("Node Control/Request Id", "load-bad"),
                    string("Node Control/Load Module", "--sha256 " + wrong + " " + url)));
            String refused = assertResult(sub, mark, "a", "load-bad", "\"result\":\"EACCES\"");
            assertTrue(refused.contains("SHA-256"), refused);
            assertFalse(a.run("dev:lsmod").contains("rust_miscdev"));

            // the same with the right SHA-256: loaded, and its device is born
            mark = sub.mark();
            sub.command(ncmdA, List.of(string("Node Control/Request Id", "load-good"),
                    string("Node Control/Load Module", "--sha256 " + sha256 + " " + url)));
            assertResult(sub, mark, "a", "load-good", "\"result\":\"ok\",\"module\":\"rust_miscdev\"");
            Message born = sub.await(mark, "DBIRTH of a/rust_miscdev", m -> m.is("DBIRTH", "a") && "rust_miscdev".equals(m.device()));
            assertEquals(devices(a).get("rust_miscdev"), born.metric("Number"), born.toString());
            assertEquals("rust_miscdev", born.metric("Module"), born.toString());

            // a restart by command: the device is registered anew, so it dies and is born again
            mark = sub.mark();
            sub.command(ncmdA, List.of(string("Node Control/Request Id", "restart-1"),
                    string("Node Control/Restart Module", "rust_miscdev")));
            assertResult(sub, mark, "a", "restart-1", "\"result\":\"ok\"");
            int restarted = mark;
            sub.await(restarted, "DDEATH of a/rust_miscdev after its restart", m -> m.is("DDEATH", "a") && "rust_miscdev".equals(m.device()));
            sub.await(restarted, "DBIRTH of a/rust_miscdev after its restart", m -> m.is("DBIRTH", "a") && "rust_miscdev".equals(m.device()));
            assertTrue(sub.all(m -> m.is("NDATA", "b") && m.metric("Node Control/Result") != null).isEmpty(),
                    "host b got none of a's commands");

            // a crash the supervisor restarts: the device dies and is born again, and the restart count is data
            int load = sub.mark();
            a.run("dev:rmmod faulty");
            assertTrue(a.run("dev:insmod " + HostSession.driverJar("faulty") + " fault=oops").startsWith("faulty: loaded"));
            // the new device's birth: after it, nothing of the old one is still to come
            sub.await(load, "DBIRTH of a/faulty after its load", m -> m.is("DBIRTH", "a") && "faulty".equals(m.device()));
            int crash = sub.mark();
            for (int i = 0; i < 5; i++) { // the default policy: 5 faults within 10 s are a crash
                String w = a.run("dev:write faulty oops");
                assertTrue(w.contains("(EIO)"), "write " + (i + 1) + ": " + w);
            }
            sub.await(crash, "NDATA of a: faulty restarted once", m -> m.is("NDATA", "a") && Integer.valueOf(1).equals(m.metric("Modules/faulty/Restarts")));
            sub.await(crash, "DDEATH of a/faulty", m -> m.is("DDEATH", "a") && "faulty".equals(m.device()));
            sub.await(crash, "DBIRTH of a/faulty after the restart", m -> m.is("DBIRTH", "a") && "faulty".equals(m.device()));

            // kill -9 of host b: the broker sends its Will, the NDEATH with the bdSeq of its last NBIRTH
            mark = sub.mark();
            b.close();
            Message death = sub.await(mark, "NDEATH of b (its Will)", m -> m.is("NDEATH", "b"));
            assertEquals(bdSeqB, death.metric("bdSeq"), death.toString());
            assertNull(death.payload().getSeq(), "an NDEATH has no seq");

            // the broker restarts: host a comes back by itself, with a new bdSeq
            sub.close();
            open.remove(sub);
            int failedBefore = failedConnects(a.run("dev:dmesg"));
            broker.stop();
            // a's attempt to reconnect has failed: it is offline, and its drivers serve as ever, nothing held up
            a.until("dev:dmesg", o -> failedConnects(o) > failedBefore);
            Process head = new ProcessBuilder("head", "-c", "4", mountA.resolve("zero").toString()).start();
            assertTrue(head.waitFor(HostSession.BOUND_SECONDS, TimeUnit.SECONDS), "a devfs read during the outage is answered");
            assertArrayEquals(new byte[4], head.getInputStream().readAllBytes(), "four zero bytes from a's zero");
            assertTrue(a.run("dev:hexdump -n 4 zero").contains("00 00 00 00"), "and the shell's read too");
            broker.start();
            SparkplugSubscriber again = new SparkplugSubscriber(broker.url(), "spBv1.0/" + GROUP + "/#");
            open.add(again);
            String log = a.until("dev:dmesg", o -> onlineBdSeqs(o).size() >= 2);
            List<Long> online = onlineBdSeqs(log);
            long newBdSeq = online.get(online.size() - 1);
            assertNotEquals(bdSeqA, newBdSeq, log);
            if (again.all(m -> m.is("NBIRTH", "a") && Long.valueOf(newBdSeq).equals(m.metric("bdSeq"))).isEmpty()) {
                // it was born before this client subscribed: ask for a rebirth, which keeps the bdSeq
                again.command(ncmdA, List.of(bool("Node Control/Rebirth", true)));
            }
            Message reborn = again.await("NBIRTH of a with bdSeq " + newBdSeq,
                    m -> m.is("NBIRTH", "a") && Long.valueOf(newBdSeq).equals(m.metric("bdSeq")));
            assertEquals(0L, reborn.payload().getSeq());
            again.await("DBIRTH of a/scull0 after the restart", m -> m.is("DBIRTH", "a") && "scull0".equals(m.device()));

            // and its Will now carries the new bdSeq
            mark = again.mark();
            a.close();
            Message deathA = again.await(mark, "NDEATH of a (its Will)", m -> m.is("NDEATH", "a"));
            assertEquals(newBdSeq, deathA.metric("bdSeq"), deathA.toString());
        } finally {
            for (int i = open.size() - 1; i >= 0; i--) {
                try {
                    open.get(i).close();
                } catch (Exception e) {
                    // the next one still closes
                }
            }
            http.stop(0);
        }
    }

    /**
     * A broker that admits only the users of its password file, and a host configured with a user
     * name, a password file and a primary host: it connects (so the password was read and taken)
     * but births only once the primary host's STATE says online; an offline STATE makes it send its
     * death certificate and start over, and it births again, with a new bdSeq, once the host is back.
     */
    @Test
    void aPrimaryHostGatesTheBirthsAndItsOfflineStateEndsTheSession() throws Exception {
        Needs.that(Mosquitto.binary() != null, "mosquitto is not installed (apt-get install mosquitto): FleetIT runs its own broker");
        Path brokerDir = Files.createDirectory(tmp.resolve("broker"));
        String password = "pw-" + System.nanoTime();
        Path passwords = Mosquitto.passwordFile(brokerDir, "fleetit", password);
        List<AutoCloseable> open = new ArrayList<>();
        try (Mosquitto broker = new Mosquitto(brokerDir, passwords)) {
            broker.start();
            SparkplugSubscriber sub = new SparkplugSubscriber(broker.url(), "spBv1.0/" + GROUP + "/#", "fleetit", password);
            open.add(sub);
            // the host's password in a file of its own, owner-only; the broker admits only its users
            Path secret = Files.createFile(tmp.resolve("mqtt-password"),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(secret, password + "\n");
            HostSession host = host("p", broker, "username=fleetit\npassword.file=" + secret + "\nprimary.host.id=scada\n");
            open.add(host);
            String waiting = "fleet: connected to " + broker.url() + "; waiting for primary host scada to be online";
            host.until("dev:dmesg", o -> o.contains(waiting));
            assertTrue(sub.all(m -> m.is("NBIRTH", "p")).isEmpty(), "no birth before the primary host is online");

            // the primary host's STATE says online (JSON, retained, as a Sparkplug 3.0 host application sends it)
            long t = System.currentTimeMillis();
            sub.publish("spBv1.0/STATE/scada", "{\"online\":true,\"timestamp\":" + t + "}", true);
            Message birth = sub.await("NBIRTH of p", m -> m.is("NBIRTH", "p"));
            long bdSeq = (Long) birth.metric("bdSeq");
            sub.await("DBIRTH of p/scull0", m -> m.is("DBIRTH", "p") && "scull0".equals(m.device()));

            // it goes offline: the node sends its death certificate itself and starts over
            int mark = sub.mark();
            sub.publish("spBv1.0/STATE/scada", "{\"online\":false,\"timestamp\":" + (t + 1) + "}", true);
            Message death = sub.await(mark, "NDEATH of p", m -> m.is("NDEATH", "p"));
            assertEquals(bdSeq, death.metric("bdSeq"), death.toString());
            host.until("dev:dmesg", o -> o.split(Pattern.quote(waiting), -1).length - 1 >= 2);

            // back online: born again, from a new connection, so with the next bdSeq
            mark = sub.mark();
            sub.publish("spBv1.0/STATE/scada", "{\"online\":true,\"timestamp\":" + (t + 2) + "}", true);
            Message again = sub.await(mark, "NBIRTH of p once scada is back", m -> m.is("NBIRTH", "p"));
            assertNotEquals(bdSeq, again.metric("bdSeq"), again.toString());
        } finally {
            for (int i = open.size() - 1; i >= 0; i--) {
                try {
                    open.get(i).close();
                } catch (Exception e) {
                    // the next one still closes
                }
            }
        }
    }

    /**
     * A bounded outbox while offline: the broker stops, a module is restarted (its restart count
     * changes), the node records it; the broker comes back, and after the new birth (which carries
     * the current values) the change arrives as an NDATA whose metric is historical, stamped with
     * when it was seen (before that birth). A primary host gates the birth, so the subscriber is
     * there before it, however quickly the node reconnects.
     */
    @Test
    void aChangeWhileTheBrokerIsDownArrivesAfterTheRebirthAsHistoricalData() throws Exception {
        Needs.that(Mosquitto.binary() != null, "mosquitto is not installed (apt-get install mosquitto): FleetIT runs its own broker");
        List<AutoCloseable> open = new ArrayList<>();
        try (Mosquitto broker = new Mosquitto(Files.createDirectory(tmp.resolve("broker")))) {
            broker.start();
            SparkplugSubscriber sub = new SparkplugSubscriber(broker.url(), "spBv1.0/" + GROUP + "/#");
            open.add(sub);
            HostSession host = host("o", broker, "primary.host.id=scada\n");
            open.add(host);
            long t = System.currentTimeMillis();
            sub.publish("spBv1.0/STATE/scada", "{\"online\":true,\"timestamp\":" + t + "}", true);
            Message birth = sub.await("NBIRTH of o", m -> m.is("NBIRTH", "o"));
            assertEquals(0, birth.metric("Modules/scull/Restarts"), birth.toString());

            // the broker goes (no persistence: the retained STATE goes with it); a restart while it is away
            sub.close();
            open.remove(sub);
            broker.stop();
            long before = System.currentTimeMillis();
            assertEquals("scull: restarted", host.run("dev:restart scull").strip());
            host.until("dev:dmesg", o -> o.lines().anyMatch(l -> l.contains("fleet: offline: ")
                    && l.contains("Modules/scull/Restarts=1") && l.contains("kept for after the next birth")));

            // back: a new session, births with the values of now, then what was kept, as historical data
            broker.start();
            SparkplugSubscriber again = new SparkplugSubscriber(broker.url(), "spBv1.0/" + GROUP + "/#");
            open.add(again);
            again.publish("spBv1.0/STATE/scada", "{\"online\":true,\"timestamp\":" + (t + 1) + "}", true);
            Message reborn = again.await("NBIRTH of o after the broker came back", m -> m.is("NBIRTH", "o"));
            assertNotEquals(birth.metric("bdSeq"), reborn.metric("bdSeq"), "a new session");
            assertEquals(1, reborn.metric("Modules/scull/Restarts"), "the birth carries the current value: " + reborn);
            Message kept = again.await("NDATA of o with the restart seen while offline",
                    m -> m.is("NDATA", "o") && m.metricNamed("Modules/scull/Restarts") != null);
            org.eclipse.tahu.message.model.Metric r = kept.metricNamed("Modules/scull/Restarts");
            assertEquals(1, r.getValue(), kept.toString());
            assertEquals(Boolean.TRUE, r.getIsHistorical(), "kept data is historical: " + kept);
            long seen = r.getTimestamp().getTime();
            assertTrue(seen >= before && seen <= reborn.payload().getTimestamp().getTime(),
                    "stamped when it was seen, before the birth: " + seen + " vs " + before + ".."
                    + reborn.payload().getTimestamp().getTime());
            assertTrue(host.run("dev:dmesg").contains("NDATA of what changed while offline sent, as historical"));
        } finally {
            for (int i = open.size() - 1; i >= 0; i--) {
                try {
                    open.get(i).close();
                } catch (Exception e) {
                    // the next one still closes
                }
            }
        }
    }

    /**
     * Several brokers: {@code broker.url} lists one that refuses connections (a port nobody listens
     * on) before the real one; the node goes on to the second within the same attempt and is
     * born there, and says so.
     */
    @Test
    void aBrokerListIsTriedInOrderPastOneThatRefuses() throws Exception {
        Needs.that(Mosquitto.binary() != null, "mosquitto is not installed (apt-get install mosquitto): FleetIT runs its own broker");
        int refusing;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            refusing = s.getLocalPort(); // closed again: a connection there is refused
        }
        String first = "tcp://127.0.0.1:" + refusing;
        List<AutoCloseable> open = new ArrayList<>();
        try (Mosquitto broker = new Mosquitto(Files.createDirectory(tmp.resolve("broker")))) {
            broker.start();
            SparkplugSubscriber sub = new SparkplugSubscriber(broker.url(), "spBv1.0/" + GROUP + "/#");
            open.add(sub);
            HostSession host = hostAt(Files.createDirectory(tmp.resolve("host-m")), "m", first + "," + broker.url(), "");
            open.add(host);
            Message birth = sub.await("NBIRTH of m", m -> m.is("NBIRTH", "m"));
            assertEquals(0L, birth.payload().getSeq());
            String log = host.until("dev:dmesg", o -> o.contains("fleet: online at " + broker.url() + " as "));
            assertTrue(log.contains("fleet: connecting to " + first + "," + broker.url()), log);
        } finally {
            for (int i = open.size() - 1; i >= 0; i--) {
                try {
                    open.get(i).close();
                } catch (Exception e) {
                    // the next one still closes
                }
            }
        }
    }

    /**
     * A broker that takes the TCP connection and never answers (a listening socket nobody
     * serves): the node's CONNECT waits on its own thread, so the shell loads and unloads modules
     * meanwhile (whose device events wake the node), and the host stops at the end of its input.
     */
    @Test
    void aBrokerThatNeverAnswersBlocksNeitherTheShellNorTheStop() throws Exception {
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Path own = Files.createDirectory(tmp.resolve("host-s"));
            HostSession host = hostAt(own, "s", "tcp://127.0.0.1:" + silent.getLocalPort(), "connect.timeout.s=600\n");
            try (host) {
                host.until("dev:dmesg", o -> o.contains("fleet: connecting to tcp://127.0.0.1:" + silent.getLocalPort()));
                assertEquals("", host.run("dev:rmmod rust_miscdev"));
                assertTrue(host.run("dev:insmod " + HostSession.driverJar("rust_miscdev")).startsWith("rust_miscdev: loaded"));
                assertTrue(host.run("dev:ls rust_miscdev").contains("rust_miscdev"));
                assertEquals(0, host.exit(), host.output());
            }
        }
    }

    /** Waits for the node's NBIRTH and a DBIRTH for every device its dev:ls lists; returns the NBIRTH's bdSeq. */
    private static long births(SparkplugSubscriber sub, HostSession host, String node) throws Exception {
        Message nbirth = sub.await("NBIRTH of " + node, m -> m.is("NBIRTH", node));
        assertEquals(0L, nbirth.payload().getSeq(), nbirth.toString());
        assertEquals(MetricDataType.Int64, nbirth.type("bdSeq"), nbirth.toString());
        assertEquals(Boolean.FALSE, nbirth.metric("Node Control/Rebirth"), nbirth.toString());
        assertEquals(MetricDataType.Boolean, nbirth.type("Node Control/Rebirth"));
        assertEquals("live", nbirth.metric("Modules/scull/State"), nbirth.toString());
        assertEquals(0, nbirth.metric("Modules/scull/Restarts"), nbirth.toString());
        Map<String, String> devices = devices(host);
        assertTrue(devices.size() > 10, "dev:ls lists the sample drivers' devices: " + devices);
        for (Map.Entry<String, String> d : devices.entrySet()) {
            Message dbirth = sub.await("DBIRTH of " + node + "/" + d.getKey(),
                    m -> m.is("DBIRTH", node) && d.getKey().equals(m.device()));
            assertEquals(d.getValue(), dbirth.metric("Number"), dbirth.toString());
        }
        return (Long) nbirth.metric("bdSeq");
    }

    /** The NDATA whose {@code Node Control/Result} names {@code request}; asserts it contains {@code expected}. */
    private static String assertResult(SparkplugSubscriber sub, int from, String node, String request, String expected)
            throws InterruptedException {
        Message m = sub.await(from, "the result of " + request + " from " + node, x -> x.is("NDATA", node)
                && x.metric("Node Control/Result") instanceof String s && s.contains("\"request\":\"" + request + "\""));
        String result = (String) m.metric("Node Control/Result");
        assertTrue(result.contains(expected), result);
        return result;
    }

    /** dev:ls as name to number ({@code 10:262}). */
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

    /** The bdSeq of each "fleet: online" line of the kernel log, in order. */
    private static List<Long> onlineBdSeqs(String dmesg) {
        List<Long> out = new ArrayList<>();
        Matcher m = ONLINE.matcher(dmesg);
        while (m.find()) {
            out.add(Long.parseLong(m.group(1)));
        }
        return out;
    }

    /**
     * A host configured for the broker by {@code conf/org.devhost.fleet.cfg} (the folder and the
     * file the host user's alone, as hot deploy wants them), devfs off; a short keep-alive so the
     * broker notices a killed host soon, and short reconnect waits so a broker restart is over soon.
     */
    private HostSession host(String node, Mosquitto broker) throws Exception {
        return host(node, broker, "");
    }

    /** As above, with more lines of configuration ({@code name=value\n}...). */
    private HostSession host(String node, Mosquitto broker, String more) throws Exception {
        return hostAt(Files.createDirectory(tmp.resolve("host-" + node)), node, broker.url(), more);
    }

    /** How many of a host's connection attempts have failed, as its log says. */
    private static int failedConnects(String dmesg) {
        return (int) Pattern.compile("fleet: not connected to ").matcher(dmesg).results().count();
    }

    /** @param args the host's arguments; without any, devfs is off */
    private static HostSession hostAt(Path own, String node, String brokerUrl, String more, String... args) throws Exception {
        Path conf = Files.createDirectory(own.resolve("conf"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path part = Files.createTempFile(own, "part", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(part, "broker.url=" + brokerUrl + "\n"
                + "group.id=" + GROUP + "\n"
                + "edge.node.id=" + node + "\n"
                + "keep.alive.s=2\n"
                + "reconnect.initial.ms=100\n"
                + "reconnect.max.ms=1000\n" + more);
        Files.move(part, conf.resolve("org.devhost.fleet.cfg"), StandardCopyOption.ATOMIC_MOVE);
        return new HostSession(own, HostSession.ROOT, args.length == 0 ? new String[] {"devhost.devfs=off"} : args);
    }
}
