package org.devhost.itests;

import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.eclipse.tahu.message.SparkplugBPayloadDecoder;
import org.eclipse.tahu.message.SparkplugBPayloadEncoder;
import org.eclipse.tahu.message.model.Metric;
import org.eclipse.tahu.message.model.MetricDataType;
import org.eclipse.tahu.message.model.SparkplugBPayload;

/**
 * The test's side of the broker: an MQTT client (Paho) that records every Sparkplug B message
 * under a topic filter, each decoded by Eclipse Tahu's decoder, an implementation built from the
 * specification's {@code .proto} that devhost does not use; a payload Tahu cannot decode fails the
 * next {@link #await}. Commands go out encoded by Tahu's encoder. Thread-safe: Paho's thread adds,
 * the test reads.
 */
final class SparkplugSubscriber implements AutoCloseable {
    static final long BOUND_SECONDS = 60;

    /** One message as it arrived: topic levels, Tahu's decoded payload. */
    record Message(String topic, SparkplugBPayload payload) {
        String type() {
            return topic.split("/")[2];
        }

        String node() {
            return topic.split("/")[3];
        }

        String device() {
            String[] t = topic.split("/");
            return t.length > 4 ? t[4] : null;
        }

        /** A metric's value by name, or null when the payload has no such metric. */
        Object metric(String name) {
            for (Metric m : payload.getMetrics()) {
                if (name.equals(m.getName())) {
                    return m.getValue();
                }
            }
            return null;
        }

        /** The metric itself (its timestamp, its is_historical flag), or null. */
        Metric metricNamed(String name) {
            for (Metric m : payload.getMetrics()) {
                if (name.equals(m.getName())) {
                    return m;
                }
            }
            return null;
        }

        MetricDataType type(String name) {
            for (Metric m : payload.getMetrics()) {
                if (name.equals(m.getName())) {
                    return m.getDataType();
                }
            }
            return null;
        }

        boolean is(String type, String node) {
            return type().equals(type) && node().equals(node);
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(topic).append(" seq=").append(payload.getSeq()).append(" {");
            for (Metric m : payload.getMetrics()) {
                sb.append(' ').append(m.getName()).append('=').append(m.getValue());
            }
            return sb.append(" }").toString();
        }
    }

    private final MqttClient client;
    private final List<Message> messages = new ArrayList<>();
    private final List<String> undecodable = new ArrayList<>();

    /** Connects (trying again until the broker answers, bounded) and subscribes to {@code filter}. */
    SparkplugSubscriber(String url, String filter) throws Exception {
        this(url, filter, null, null);
    }

    /** As above, as {@code user} with {@code password} (null for none). */
    SparkplugSubscriber(String url, String filter, String user, String password) throws Exception {
        this(url, filter, user, password, null);
    }

    /** As above, over TLS with {@code tls} (a client certificate, the test's CA), or null for plain TCP. */
    SparkplugSubscriber(String url, String filter, javax.net.SocketFactory tls) throws Exception {
        this(url, filter, null, null, tls);
    }

    private SparkplugSubscriber(String url, String filter, String user, String password, javax.net.SocketFactory tls) throws Exception {
        client = new MqttClient(url, "fleetit-" + System.nanoTime(), new MemoryPersistence());
        client.setCallback(new MqttCallback() {
            @Override
            public void connectionLost(Throwable cause) {}

            @Override
            public void messageArrived(String topic, MqttMessage message) {
                if (topic.contains("/STATE/")) {
                    return; // JSON, not a Sparkplug payload
                }
                try {
                    SparkplugBPayload p = new SparkplugBPayloadDecoder().buildFromByteArray(message.getPayload(), null);
                    synchronized (messages) {
                        messages.add(new Message(topic, p));
                        messages.notifyAll();
                    }
                } catch (Exception e) {
                    synchronized (messages) {
                        undecodable.add(topic + ": " + e);
                        messages.notifyAll();
                    }
                }
            }

            @Override
            public void deliveryComplete(IMqttDeliveryToken token) {}
        });
        MqttConnectOptions o = new MqttConnectOptions();
        o.setCleanSession(true);
        o.setConnectionTimeout(5);
        if (user != null) {
            o.setUserName(user);
            o.setPassword(password.toCharArray());
        }
        if (tls != null) {
            o.setSocketFactory(tls);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
        while (true) {
            try {
                client.connect(o);
                break;
            } catch (MqttException e) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("cannot connect to " + url + " within " + BOUND_SECONDS + " s", e);
                }
                Thread.sleep(20);
            }
        }
        client.subscribe(filter, 1);
    }

    /** How many messages have arrived: a mark for {@link #await(int, String, Predicate)}. */
    int mark() {
        synchronized (messages) {
            return messages.size();
        }
    }

    /** The first message since the start that passes {@code p}, waiting for it (bounded). */
    Message await(String what, Predicate<Message> p) throws InterruptedException {
        return await(0, what, p);
    }

    /** The first message from index {@code from} on that passes {@code p}, waiting for it (bounded). */
    Message await(int from, String what, Predicate<Message> p) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
        synchronized (messages) {
            while (true) {
                if (!undecodable.isEmpty()) {
                    throw new AssertionError("Tahu could not decode: " + undecodable);
                }
                for (int i = from; i < messages.size(); i++) {
                    if (p.test(messages.get(i))) {
                        return messages.get(i);
                    }
                }
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    throw new AssertionError("no " + what + " within " + BOUND_SECONDS + " s; what came:\n" + dump(from));
                }
                messages.wait(left);
            }
        }
    }

    /** Every message so far that passes {@code p}. */
    List<Message> all(Predicate<Message> p) {
        synchronized (messages) {
            return messages.stream().filter(p).toList();
        }
    }

    private String dump(int from) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < messages.size(); i++) {
            sb.append(messages.get(i)).append('\n');
        }
        return sb.toString();
    }

    /** Publishes a node command, encoded by Tahu: String metrics as given, in order (QoS 0, as the spec says). */
    void command(String topic, List<Metric> metrics) throws Exception {
        SparkplugBPayload p = new SparkplugBPayload(new Date(), new ArrayList<>(metrics));
        client.publish(topic, new SparkplugBPayloadEncoder().getBytes(p, false), 0, false);
    }

    /**
     * Publishes a Sparkplug payload encoded by Tahu, as it is, with QoS 1, and waits for the broker's
     * PUBACK: the broker has then routed it, or dropped it (MQTT 3.1.1: a publish the ACL denies is
     * acknowledged and dropped), before anything this client publishes later.
     */
    void publish(String topic, SparkplugBPayload payload) throws Exception {
        client.publish(topic, new SparkplugBPayloadEncoder().getBytes(payload, false), 1, false);
    }

    /** Publishes bytes as they are (a host application's STATE is JSON, retained). */
    void publish(String topic, String text, boolean retained) throws Exception {
        client.publish(topic, text.getBytes(java.nio.charset.StandardCharsets.UTF_8), 1, retained);
    }

    static Metric string(String name, String value) throws Exception {
        return new Metric.MetricBuilder(name, MetricDataType.String, value).createMetric();
    }

    static Metric bool(String name, boolean value) throws Exception {
        return new Metric.MetricBuilder(name, MetricDataType.Boolean, value).createMetric();
    }

    @Override
    public void close() throws Exception {
        try {
            if (client.isConnected()) {
                client.disconnect(1000);
            }
        } catch (MqttException e) {
            // the broker is gone already
        }
        client.close(true);
    }
}
