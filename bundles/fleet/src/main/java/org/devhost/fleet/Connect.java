package org.devhost.fleet;

import java.io.IOException;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;

/**
 * The MQTT CONNECT options an edge node and a host application share: a clean session (the
 * specification's rule for both), no automatic reconnect (each CONNECT needs a new Will: the edge
 * node's next bdSeq, the host application's new STATE timestamp), keep-alive and timeout, the user
 * name and the password read now, and over {@code ssl://} the TLS files read now; with several
 * brokers, Paho's {@code serverURIs} in the configured order (one CONNECT tries each in turn until
 * one takes it). The caller adds its Will. Stateless.
 */
final class Connect {
    private Connect() {}

    /** How long one CONNECT may take at most: the configured timeout for each broker it may try, and a second. */
    static long connectBoundMillis(Settings s) {
        return s.connectTimeoutSeconds() * 1000L * s.brokerUrls().size() + 1000;
    }

    /** @throws IOException when the password or a TLS file is refused (the message names the setting) */
    static MqttConnectOptions options(Settings s) throws IOException {
        MqttConnectOptions o = new MqttConnectOptions();
        o.setCleanSession(true);
        o.setAutomaticReconnect(false);
        o.setKeepAliveInterval(s.keepAliveSeconds());
        o.setConnectionTimeout(s.connectTimeoutSeconds());
        if (s.brokerUrls().size() > 1) {
            o.setServerURIs(s.brokerUrls().toArray(String[]::new));
        }
        if (s.username() != null) {
            o.setUserName(s.username());
        }
        char[] password = s.password();
        if (password != null) {
            o.setPassword(password);
        }
        if (s.tls()) {
            o.setSocketFactory(Tls.socketFactory(s));
            o.setHttpsHostnameVerificationEnabled(true); // Paho's default, said here: the broker's name is checked
        }
        return o;
    }

    /**
     * Waits for {@code token} at most {@code millis}, in slices of 200 ms, so that a reason to give
     * up ({@code giveUp} answers it, or null to go on: the node stopping, the connection lost) is
     * seen within one.
     *
     * @throws MqttException when the operation failed, timed out, or there was a reason to give up
     */
    static void await(org.eclipse.paho.client.mqttv3.IMqttToken token, long millis, java.util.function.Supplier<String> giveUp)
            throws org.eclipse.paho.client.mqttv3.MqttException {
        long end = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(millis);
        while (true) {
            try {
                token.waitForCompletion(200);
                return;
            } catch (org.eclipse.paho.client.mqttv3.MqttException e) {
                if (e.getReasonCode() != org.eclipse.paho.client.mqttv3.MqttException.REASON_CODE_CLIENT_TIMEOUT) {
                    throw e;
                }
            }
            String why = giveUp.get();
            if (why != null || System.nanoTime() - end > 0) {
                throw new org.eclipse.paho.client.mqttv3.MqttException(
                        org.eclipse.paho.client.mqttv3.MqttException.REASON_CODE_CLIENT_TIMEOUT,
                        new IOException(why != null ? why : "no answer within " + millis + " ms"));
            }
        }
    }
}
