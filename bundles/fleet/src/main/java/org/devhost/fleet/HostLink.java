package org.devhost.fleet;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import org.devhost.fleet.proto.SparkplugB.Payload;
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
 * The host application's connection, on a thread of its own ({@code devhost fleet host}): CONNECT
 * with its death as the Will (its STATE {@code {"online":false,"timestamp":T}}, retained, QoS 1),
 * subscribe to the group ({@code spBv1.0/GROUP/#}) and to its own STATE, then publish the STATE
 * online with the same {@code T}, retained, QoS 1 (Sparkplug 3.0 chapter 7: edge nodes that name
 * this host as primary birth only then). A lost connection is tried again after a back-off, with a
 * new {@code T}. On stop: the offline STATE, then DISCONNECT.
 *
 * <p>What arrives is taken into the {@link FleetView} on Paho's callback thread (a decode and a
 * map update under the view's lock: no wait); command results go to the result sink; a node
 * whose birth was not seen (or whose {@code seq} jumped) is asked for a rebirth by this thread, at
 * most once per {@value #REBIRTH_GAP_MS} ms per node. Commands are published by the caller's
 * thread (the shell's), each bounded by {@value #OP_TIMEOUT_MS} ms. Thread-safe.
 */
final class HostLink implements Runnable {
    static final long OP_TIMEOUT_MS = 10_000;
    static final long REBIRTH_GAP_MS = 5_000;
    private static final long STOP_MS = 3000;

    private final Settings settings;
    private final FleetView view;
    private final BiConsumer<String, Map<String, String>> results;
    private final Logger log;
    private final String stateTopic;
    private final String groupPrefix;
    private final Thread thread;
    private final Object signal = new Object();
    private final Set<String> rebirths = ConcurrentHashMap.newKeySet();
    private final Map<String, Long> askedAt = new ConcurrentHashMap<>();
    private final AtomicLong undecodable = new AtomicLong();
    private volatile boolean stopping;
    private volatile boolean connectionLost;
    private volatile boolean restate; // our own STATE was seen offline (a late Will of ours): say online again
    private volatile MqttAsyncClient client;
    private volatile boolean online;
    private volatile long stateTimestamp;

    HostLink(Settings settings, FleetView view, BiConsumer<String, Map<String, String>> results, Logger log) {
        this.settings = settings;
        this.view = view;
        this.results = results;
        this.log = log;
        this.stateTopic = Topics.state(settings.node());
        this.groupPrefix = Topics.NAMESPACE + "/" + settings.group() + "/";
        this.thread = new Thread(this, "devhost fleet host");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Whether the STATE online has been published in the current connection. */
    boolean online() {
        return online;
    }

    /**
     * Publishes an NCMD to {@code node} (QoS 0, not retained: the specification's rule), waiting
     * at most {@value #OP_TIMEOUT_MS} ms for it to be written.
     *
     * @throws IOException when not connected, or the broker did not take it in time
     */
    void command(String node, byte[] payload) throws IOException {
        MqttAsyncClient c = client;
        if (c == null || !online) {
            throw new IOException("not connected to " + settings.brokerUrl());
        }
        try {
            c.publish(groupPrefix + "NCMD/" + node, payload, 0, false).waitForCompletion(OP_TIMEOUT_MS);
        } catch (MqttException e) {
            throw new IOException("the broker did not take it: " + e.getMessage(), e);
        }
    }

    /** Ends the link: the offline STATE, DISCONNECT, then the thread, each bounded. */
    void stop() {
        stopping = true;
        wake();
        try {
            thread.join(STOP_MS * 2 + OP_TIMEOUT_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        MqttAsyncClient c = client;
        if (c != null) {
            close(c);
        }
    }

    private void wake() {
        synchronized (signal) {
            signal.notifyAll();
        }
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
            online = false;
            MqttAsyncClient c = client;
            client = null;
            if (c != null) {
                close(c);
            }
            if (stopping) {
                break;
            }
            long wait = backoff.next();
            log.warn("fleet host: not connected to {}: {}; next try in {} ms", settings.brokerUrl(), why, wait);
            pause(wait);
        }
        log.info("fleet host: stopped");
    }

    private String session(Backoff backoff) throws MqttException, IOException {
        connectionLost = false;
        restate = false;
        long t = System.currentTimeMillis();
        stateTimestamp = t;
        MqttAsyncClient c = new MqttAsyncClient(settings.brokerUrls().get(0), "devhost-host:" + settings.node(), new MemoryPersistence());
        client = c;
        c.setCallback(new MqttCallback() {
            @Override
            public void connectionLost(Throwable cause) {
                connectionLost = true;
                wake();
            }

            @Override
            public void messageArrived(String topic, MqttMessage message) {
                take(topic, message.getPayload());
            }

            @Override
            public void deliveryComplete(IMqttDeliveryToken token) {}
        });
        MqttConnectOptions o = Connect.options(settings);
        o.setMaxInflight(1000); // commands to a whole fleet at once
        o.setWill(stateTopic, Json.state(false, t).getBytes(StandardCharsets.UTF_8), 1, true);
        log.info("fleet host: connecting to {} as host application {}", settings.brokerUrl(), settings.node());
        await(c.connect(o), Connect.connectBoundMillis(settings));
        await(c.subscribe(new String[] {groupPrefix + "#", stateTopic}, new int[] {1, 1}), OP_TIMEOUT_MS);
        await(c.publish(stateTopic, Json.state(true, t).getBytes(StandardCharsets.UTF_8), 1, true), OP_TIMEOUT_MS);
        online = true;
        backoff.reset();
        log.info("fleet host: online at {} as {}, following group {}", c.getCurrentServerURI(), stateTopic, settings.group());
        while (true) {
            if (stopping) {
                goodbye(c, t);
                return null;
            }
            if (connectionLost) {
                return "connection lost";
            }
            if (restate) {
                restate = false;
                await(c.publish(stateTopic, Json.state(true, t).getBytes(StandardCharsets.UTF_8), 1, true), OP_TIMEOUT_MS);
                log.info("fleet host: our STATE was seen offline; online again");
            }
            for (String node : rebirths) {
                rebirths.remove(node);
                long now = System.nanoTime();
                Long last = askedAt.get(node);
                if (last != null && now - last < TimeUnit.MILLISECONDS.toNanos(REBIRTH_GAP_MS)) {
                    continue;
                }
                askedAt.put(node, now);
                byte[] p = Payload.newBuilder().setTimestamp(System.currentTimeMillis())
                        .addMetrics(Payloads.bool(Payloads.REBIRTH, true)).build().toByteArray();
                try {
                    c.publish(groupPrefix + "NCMD/" + node, p, 0, false); // not awaited: QoS 0, one of many
                } catch (MqttException e) {
                    log.warn("fleet host: no rebirth request to {}: {}", node, e.getMessage());
                }
            }
            synchronized (signal) {
                if (!stopping && !connectionLost && !restate && rebirths.isEmpty()) {
                    try {
                        signal.wait(1000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        stopping = true;
                    }
                }
            }
        }
    }

    /** On Paho's thread: one message of the group, or our own STATE. Never blocks. */
    private void take(String topic, byte[] payload) {
        if (topic.equals(stateTopic)) {
            Json.State s = Json.state(new String(payload, StandardCharsets.UTF_8));
            if (s != null && !s.online() && s.timestamp() == stateTimestamp && online) {
                restate = true; // the specification: a host application that sees itself offline says online again
                wake();
            }
            return;
        }
        if (!topic.startsWith(groupPrefix)) {
            return;
        }
        String[] levels = topic.split("/", -1);
        if (levels.length < 4 || levels.length > 5) {
            return;
        }
        String type = levels[2];
        if (type.endsWith("CMD")) {
            return; // our own commands, and other hosts'
        }
        Payload p;
        try {
            p = Payloads.parse(payload);
        } catch (InvalidProtocolBufferException e) {
            if (undecodable.getAndIncrement() % 1000 == 0) {
                log.warn("fleet host: a message on {} is not a Sparkplug B payload ({})", topic, e.getMessage());
            }
            return;
        }
        FleetView.Seen seen = view.take(type, levels[3], levels.length == 5 ? levels[4] : null, p, System.currentTimeMillis());
        for (Map<String, String> r : seen.results()) {
            results.accept(levels[3], r);
        }
        if (seen.askRebirth() && rebirths.add(levels[3])) {
            wake();
        }
    }

    private void goodbye(MqttAsyncClient c, long t) {
        try {
            c.publish(stateTopic, Json.state(false, t).getBytes(StandardCharsets.UTF_8), 1, true).waitForCompletion(STOP_MS);
            c.disconnect(500).waitForCompletion(STOP_MS);
        } catch (MqttException e) {
            log.warn("fleet host: no clean disconnect ({}); the broker sends the Will instead", e.getMessage());
        }
    }

    private void await(IMqttToken token, long millis) throws MqttException {
        Connect.await(token, millis, () -> stopping ? "stopping" : connectionLost ? "connection lost" : null);
    }

    private void pause(long millis) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        synchronized (signal) {
            long left;
            while (!stopping && (left = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime())) > 0) {
                try {
                    signal.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private static void close(MqttAsyncClient c) {
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
