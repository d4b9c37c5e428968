package org.devhost.fleet;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.devhost.fleet.HostView.DeviceView;
import org.devhost.fleet.HostView.Snapshot;
import org.devhost.fleet.proto.SparkplugB.Payload;
import org.devhost.fleet.proto.SparkplugB.Payload.Metric;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.osgi.service.log.Logger;

/**
 * One edge node's life on the broker, on a thread of its own ({@code devhost fleet}): connect with
 * the death certificate as the Will, subscribe to NCMD (and the primary host's STATE), birth,
 * then report changes until the connection is lost, and again after a back-off. Every publish,
 * every {@code seq} and every look at the host happen on this one thread, so the order of
 * {@code seq} is the order of sending.
 *
 * <p>Nothing here blocks another part of the host. The kernel, the shell and drivers only {@link
 * #wake} it (an Event Admin event; a flag and a notify). Paho's callback thread only puts what
 * arrived into a bounded inbox ({@value #INBOX}; beyond it a message is dropped and logged). Module
 * commands run on the {@link Commands} thread, whose results come back through a bounded queue.
 * Each broker operation waits at most {@value #OP_TIMEOUT_MS} ms (a connect, the configured
 * timeout), after which the connection counts as lost.
 *
 * <p>While there is no session (between connection attempts, or connected and waiting for the
 * primary host) the thread still looks at the host and keeps what changed in the {@link Outbox},
 * sent as historical NDATA after the next birth. With several brokers, one CONNECT tries them in
 * order (Paho's {@code serverURIs}); a primary host offline on one makes the next attempt start at
 * the one after it.
 *
 * <p>{@code bdSeq} goes up by one (modulo 256) with every CONNECT, as the specification says; it
 * starts at a random value when the host starts, because the host keeps no state across starts
 * (its framework storage is emptied), and a Will of the previous run that arrives late must not
 * match the new run's first birth more often than by chance (1 in 256). A Rebirth command keeps
 * it (no new CONNECT). {@code seq} is 0 in NBIRTH and one more (modulo 256) in every later
 * message of the session but NDEATH.
 */
final class Session implements Runnable {
    static final int INBOX = 64;
    static final long OP_TIMEOUT_MS = 10_000;
    /** The host is looked at every this often even without an event (a module's state, its restarts). */
    static final long SCAN_MS = 1000;
    /** ... and at most this often, however many events come (a crash loop must not flood the broker). */
    static final long MIN_SCAN_GAP_MS = 250;
    private static final long STOP_MS = 3000;
    /** Looks with changes kept while there is no session (each one NDATA after the next birth); beyond it the oldest go. */
    static final int OUTBOX = 128;

    private final Settings settings;
    private final Topics topics;
    private final HostView host;
    private final Logger log;
    private final String devhostVersion;
    private final BlockingQueue<Inbound> inbox = new ArrayBlockingQueue<>(INBOX);
    private final BlockingQueue<String> results = new ArrayBlockingQueue<>(Commands.QUEUE + 8);
    private final Commands commands;
    private final Thread thread;
    private final Object signal = new Object();
    private boolean woken; // guarded by signal
    private volatile boolean stopping;
    private volatile Throwable lost; // set by Paho's thread when the connection goes
    private volatile boolean connectionLost;
    private volatile MqttAsyncClient client;

    // the session thread's own state
    private int bdSeq = ThreadLocalRandom.current().nextInt(256);
    private int seq;
    private Snapshot published;
    private Snapshot recorded; // the host as the outbox last recorded it (null: as published)
    private final Outbox outbox = new Outbox(OUTBOX);
    private int nextServer; // the index in the broker list the next CONNECT starts at
    private Json.State primaryState; // the latest STATE of the primary host (its timestamp orders them)
    private boolean primaryOnline; // an online STATE came in this connection (a new one must hear it again)
    private boolean rebirth;
    private int dropped;

    private record Inbound(String topic, byte[] payload) {}

    Session(Settings settings, HostView host, org.devhost.kernel.ModuleManager modules,
            org.devhost.kernel.ModuleParameters parameters, Logger log, String devhostVersion) {
        this.settings = settings;
        this.topics = new Topics(settings.group(), settings.node());
        this.host = host;
        this.log = log;
        this.devhostVersion = devhostVersion;
        this.commands = new Commands(modules, parameters, this::result, "devhost fleet commands");
        this.thread = new Thread(this, "devhost fleet");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Something changed on the host (a device, a module): look soon. Any thread; never blocks. */
    void wake() {
        synchronized (signal) {
            woken = true;
            signal.notifyAll();
        }
    }

    /**
     * Ends the session: the death certificate is published and the connection closed (so the
     * broker does not send the Will as well), within a bound; then the threads end.
     */
    void stop() {
        stopping = true;
        wake();
        try {
            thread.join(STOP_MS + OP_TIMEOUT_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        commands.close();
        MqttAsyncClient c = client;
        if (c != null) {
            closeQuietly(c); // the thread did not get to it within the bound
        }
    }

    private void result(String json) {
        if (!results.offer(json)) {
            log.warn("fleet: a command result was dropped, too many waiting: {}", json);
        }
        wake();
    }

    @Override
    public void run() {
        Backoff backoff = new Backoff(settings.reconnectInitialMillis(), settings.reconnectMaxMillis(),
                bound -> ThreadLocalRandom.current().nextLong(bound));
        while (!stopping) {
            String why;
            try {
                why = session(backoff);
            } catch (MqttException e) {
                why = "MQTT: " + e.getMessage() + (e.getCause() != null ? " (" + e.getCause() + ")" : "");
            } catch (IOException | RuntimeException e) {
                why = e.toString();
            }
            MqttAsyncClient c = client;
            if (c != null) {
                closeQuietly(c);
                client = null;
            }
            if (stopping) {
                break;
            }
            long wait = backoff.next();
            log.warn("fleet: not connected to {}: {}; next try in {} ms", settings.brokerUrl(), why, wait);
            pauseRecording(wait);
        }
        log.info("fleet: stopped");
    }

    /** One connection, from CONNECT to its loss; the reason it ended, or null when the node was stopped. */
    private String session(Backoff backoff) throws MqttException, IOException {
        bdSeq = (bdSeq + 1) % 256;
        connectionLost = false;
        lost = null;
        List<String> urls = settings.brokerUrls();
        List<String> order = new ArrayList<>(urls.size());
        for (int i = 0; i < urls.size(); i++) {
            order.add(urls.get((nextServer + i) % urls.size()));
        }
        MqttAsyncClient c = new MqttAsyncClient(order.get(0), "devhost:" + settings.group() + ":" + settings.node(),
                new MemoryPersistence());
        client = c;
        c.setCallback(new MqttCallback() {
            @Override
            public void connectionLost(Throwable cause) {
                lost = cause;
                connectionLost = true;
                wake();
            }

            @Override
            public void messageArrived(String topic, MqttMessage message) {
                if (!inbox.offer(new Inbound(topic, message.getPayload()))) {
                    synchronized (signal) {
                        dropped++;
                    }
                }
                wake();
            }

            @Override
            public void deliveryComplete(IMqttDeliveryToken token) {}
        });
        // a clean session, no automatic reconnect (each CONNECT needs a new Will: the next bdSeq), credentials, TLS
        MqttConnectOptions o = Connect.options(settings);
        if (order.size() > 1) {
            o.setServerURIs(order.toArray(String[]::new)); // from where the last walk left off (a primary host offline)
        }
        o.setWill(topics.node("NDEATH"), Payloads.ndeath(bdSeq, System.currentTimeMillis()), 1, false);
        log.info("fleet: connecting to {} as {}/{} (bdSeq {})", settings.brokerUrl(), settings.group(), settings.node(), bdSeq);
        await(c.connect(o), Connect.connectBoundMillis(settings));
        String server = c.getCurrentServerURI();
        nextServer = 0; // a connection lost or refused later starts over at the first broker, the preferred one
        await(c.subscribe(topics.node("NCMD"), 1), OP_TIMEOUT_MS);
        if (settings.primaryHost() != null) {
            await(c.subscribe(Topics.state(settings.primaryHost()), 1), OP_TIMEOUT_MS);
            log.info("fleet: connected to {}; waiting for primary host {} to be online before the births",
                    server, settings.primaryHost());
        }
        boolean born = false;
        rebirth = false;
        primaryOnline = settings.primaryHost() == null;
        long lastScan = 0;
        while (true) {
            if (!stopping && host.stopping()) {
                stopping = true;
                log.info("fleet: the host is stopping: sending the death certificate");
            }
            if (stopping) {
                goodbye(c, born);
                return null;
            }
            if (connectionLost) {
                return "connection lost" + (lost != null ? " (" + lost + ")" : "");
            }
            String ended = drainInbox(c, born, server);
            if (ended != null) {
                return ended;
            }
            if (!born && primaryOnline) {
                birth(c, host.read());
                born = true;
                backoff.reset();
                log.info("fleet: online at {} as {}, bdSeq {}, {} devices", server, topics.node("NBIRTH"),
                        bdSeq, published.devices().size());
                forward(c);
                lastScan = System.nanoTime();
            } else if (born && rebirth) {
                rebirth = false;
                birth(c, host.read());
                log.info("fleet: rebirth as asked, bdSeq {}", bdSeq);
                lastScan = System.nanoTime();
            }
            if (born) {
                for (String r; (r = results.poll()) != null;) {
                    publish(c, topics.node("NDATA"), Payloads.ndata(List.of(Payloads.string(Payloads.RESULT, r)), nextSeq(),
                            System.currentTimeMillis()), 0);
                    log.info("fleet: command result {}", r);
                }
            }
            boolean pending;
            synchronized (signal) {
                pending = woken;
                woken = false;
                if (dropped > 0) {
                    log.warn("fleet: {} incoming messages dropped, more than {} waiting", dropped, INBOX);
                    dropped = 0;
                }
            }
            long sinceScan = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastScan);
            if ((pending || sinceScan >= SCAN_MS) && sinceScan >= MIN_SCAN_GAP_MS) {
                if (born) {
                    scan(c);
                } else {
                    record(); // connected, but no session yet (waiting for the primary host)
                }
                lastScan = System.nanoTime();
                sinceScan = 0;
                pending = false;
            }
            // Sleep until something happens, the next regular look, or (when a change is waiting
            // inside the gap) the end of the gap.
            synchronized (signal) {
                long wait = pending ? Math.max(1, MIN_SCAN_GAP_MS - sinceScan) : SCAN_MS;
                if (pending) {
                    woken = true; // still to look at, once the gap is over
                }
                // results wait for the birth: before it they are no reason to stay awake
                if (!stopping && !connectionLost && inbox.isEmpty() && (!born || results.isEmpty()) && (pending || !woken)) {
                    try {
                        signal.wait(wait);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        stopping = true;
                    }
                }
            }
        }
    }

    /** Handles what arrived: commands and STATE; the reason to end the session, or null to go on. */
    private String drainInbox(MqttAsyncClient c, boolean born, String server) throws MqttException {
        for (Inbound in; (in = inbox.poll()) != null;) {
            if (settings.primaryHost() != null && in.topic().equals(Topics.state(settings.primaryHost()))) {
                Json.State s = Json.state(new String(in.payload(), StandardCharsets.UTF_8));
                if (s == null) {
                    log.warn("fleet: a STATE of {} that is not Sparkplug 3.0 JSON was ignored", settings.primaryHost());
                    continue;
                }
                if (primaryState != null && s.timestamp() < primaryState.timestamp()) {
                    continue; // older than what we know: the specification says to ignore it
                }
                primaryState = s;
                primaryOnline = s.online();
                if (s.online()) {
                    log.info("fleet: primary host {} is online", settings.primaryHost());
                } else if (born || settings.brokerUrls().size() > 1) {
                    // the specification: publish NDEATH, disconnect, and start over at the next broker of the list
                    // (with several, even before a birth: the primary host is not on this one)
                    goodbye(c, born);
                    nextServer = (settings.brokerUrls().indexOf(server) + 1) % settings.brokerUrls().size();
                    return "primary host " + settings.primaryHost() + (born ? " went offline" : " is offline") + " on " + server
                            + (settings.brokerUrls().size() > 1 ? "; next broker " + settings.brokerUrls().get(nextServer) : "");
                }
                continue;
            }
            if (!in.topic().equals(topics.node("NCMD"))) {
                continue;
            }
            Payload p;
            try {
                p = Payloads.parse(in.payload());
            } catch (InvalidProtocolBufferException e) {
                log.warn("fleet: an NCMD that is not a Sparkplug B payload was ignored ({})", e.getMessage());
                continue;
            }
            if (Commands.rebirth(p)) {
                rebirth = true;
            }
            for (Commands.Request r : Commands.requests(p)) {
                log.info("fleet: command {} {}{}", r.command(), r.argument(), r.requestId() != null ? " (request " + r.requestId() + ")" : "");
                if (!primaryOnline) {
                    result(Commands.outcome(r, null, new KernelException(Errno.EAGAIN, "primary host "
                            + settings.primaryHost() + " is not online: commands are taken only while it is")));
                } else {
                    commands.submit(r);
                }
            }
        }
        return null;
    }

    /** NBIRTH (seq 0) and a DBIRTH for every device; what they said becomes what was published. */
    private void birth(MqttAsyncClient c, Snapshot now) throws MqttException {
        seq = 0;
        long t = System.currentTimeMillis();
        publish(c, topics.node("NBIRTH"), Payloads.nbirth(bdSeq, now, devhostVersion, t), 0);
        for (Map.Entry<String, DeviceView> d : now.devices().entrySet()) {
            publish(c, topics.device("DBIRTH", d.getKey()), Payloads.dbirth(d.getValue(), nextSeq(), t), 0);
        }
        published = now;
        recorded = null;
    }

    /**
     * While there is no session: what changed in the modules' metrics since they were last
     * published (or recorded) goes to the outbox, stamped now; modules loaded or unloaded
     * meanwhile are the next birth's to declare, so only modules known on both sides count.
     */
    private void record() {
        if (published == null) {
            return; // never born: the first birth tells everything
        }
        Snapshot base = recorded != null ? recorded : published;
        Snapshot now = host.read();
        Map<String, HostView.ModuleView> both = new java.util.TreeMap<>(now.modules());
        both.keySet().retainAll(base.modules().keySet());
        List<Metric> changed = Payloads.changed(base.modules(), both);
        if (!changed.isEmpty()) {
            outbox.add(System.currentTimeMillis(), changed);
            log.info("fleet: offline: {} kept for after the next birth ({} waiting{})", describe(changed), outbox.size(),
                    outbox.dropped() > 0 ? ", " + outbox.dropped() + " oldest dropped" : "");
        }
        recorded = now;
    }

    /** After a new session's births: what the outbox kept, oldest first, as historical NDATA. */
    private void forward(MqttAsyncClient c) throws MqttException {
        if (outbox.size() == 0) {
            return;
        }
        int dropped = outbox.dropped();
        java.util.Set<String> declared = new java.util.HashSet<>();
        for (HostView.ModuleView m : published.modules().values()) {
            for (Metric x : Payloads.module(m)) {
                declared.add(x.getName());
            }
        }
        List<Outbox.Entry> entries = outbox.take(declared);
        for (Outbox.Entry e : entries) {
            publish(c, topics.node("NDATA"), Payloads.ndata(e.metrics(), nextSeq(), System.currentTimeMillis()), 0);
        }
        log.info("fleet: {} NDATA of what changed while offline sent, as historical{}", entries.size(),
                dropped > 0 ? "; " + dropped + " older looks were dropped (more than " + OUTBOX + ")" : "");
    }

    private static String describe(List<Metric> metrics) {
        StringBuilder sb = new StringBuilder();
        for (Metric m : metrics) {
            sb.append(sb.length() == 0 ? "" : ", ").append(m.getName()).append('=')
                    .append(m.hasStringValue() ? m.getStringValue() : String.valueOf(m.getIntValue()));
        }
        return sb.toString();
    }

    /**
     * Tells what changed since the last message: a device gone is DDEATH, a device new (or
     * registered again, e.g. by a restart) DBIRTH; a module's state or restarts are NDATA; a module
     * added or gone is a new set of metrics, which only a birth may declare, so it is the deaths of
     * the devices that went, then a rebirth (NBIRTH and every DBIRTH, the same bdSeq).
     */
    private void scan(MqttAsyncClient c) throws MqttException {
        Snapshot now = host.read();
        long t = System.currentTimeMillis();
        boolean rebirthNeeded = !now.modules().keySet().equals(published.modules().keySet());
        if (!rebirthNeeded) {
            List<Metric> changed = Payloads.changed(published.modules(), now.modules());
            if (!changed.isEmpty()) {
                publish(c, topics.node("NDATA"), Payloads.ndata(changed, nextSeq(), t), 0);
            }
        }
        List<String> gone = new ArrayList<>();
        for (Map.Entry<String, DeviceView> d : published.devices().entrySet()) {
            DeviceView n = now.devices().get(d.getKey());
            if (n == null || n.serviceId() != d.getValue().serviceId()) {
                gone.add(d.getKey());
            }
        }
        for (String id : gone) {
            publish(c, topics.device("DDEATH", id), Payloads.ddeath(nextSeq(), t), 0);
        }
        if (rebirthNeeded) {
            birth(c, now); // after the deaths, so a host application sees each device that went go
            return;
        }
        for (Map.Entry<String, DeviceView> d : now.devices().entrySet()) {
            DeviceView b = published.devices().get(d.getKey());
            if (b == null || b.serviceId() != d.getValue().serviceId()) {
                publish(c, topics.device("DBIRTH", d.getKey()), Payloads.dbirth(d.getValue(), nextSeq(), t), 0);
            }
        }
        published = now;
    }

    private int nextSeq() {
        seq = (seq + 1) % 256;
        return seq;
    }

    private void publish(MqttAsyncClient c, String topic, byte[] payload, int qos) throws MqttException {
        await(c.publish(topic, payload, qos, false), OP_TIMEOUT_MS);
    }

    /** The specification's clean end: NDEATH first (so the Will's absence is not silence), then DISCONNECT. */
    private void goodbye(MqttAsyncClient c, boolean born) {
        try {
            if (born || c.isConnected()) {
                c.publish(topics.node("NDEATH"), Payloads.ndeath(bdSeq, System.currentTimeMillis()), 1, false)
                        .waitForCompletion(STOP_MS);
            }
            c.disconnect(500).waitForCompletion(STOP_MS);
        } catch (MqttException e) {
            log.warn("fleet: no clean disconnect ({}); the broker sends the Will instead", e.getMessage());
        }
    }

    private void await(IMqttToken token, long millis) throws MqttException {
        Connect.await(token, millis, () -> stopping ? "stopping" : connectionLost ? "connection lost" : null);
    }

    /**
     * Waits {@code millis} between connection attempts unless the node stops first, looking at the
     * host meanwhile (at each event, at least every {@value #SCAN_MS} ms, never twice within
     * {@value #MIN_SCAN_GAP_MS} ms) so that what changes while offline reaches the outbox.
     */
    private void pauseRecording(long millis) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        long lastLook = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(SCAN_MS);
        while (!stopping) {
            long sinceLook = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastLook);
            boolean look;
            synchronized (signal) {
                look = (woken && sinceLook >= MIN_SCAN_GAP_MS) || sinceLook >= SCAN_MS;
                if (look) {
                    woken = false;
                }
            }
            if (look) {
                try {
                    record();
                } catch (RuntimeException e) {
                    log.warn("fleet: offline look at the host failed: {}", e.toString());
                }
                lastLook = System.nanoTime();
                sinceLook = 0;
            }
            long left = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
            if (left <= 0) {
                return;
            }
            synchronized (signal) {
                long wait = Math.min(left, woken ? Math.max(1, MIN_SCAN_GAP_MS - sinceLook) : SCAN_MS - sinceLook);
                if (!stopping && wait > 0) {
                    try {
                        signal.wait(wait);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }
    }

    private static void closeQuietly(MqttAsyncClient c) {
        try {
            if (c.isConnected()) {
                c.disconnectForcibly(0, 1000, false);
            }
        } catch (MqttException | RuntimeException e) {
            // going anyway
        }
        try {
            c.close(true);
        } catch (MqttException | RuntimeException e) {
            // going anyway
        }
    }
}
