package org.devhost.fleet;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The edge node's configuration (Configuration Admin PID {@value EdgeNode#PID}, e.g. {@code
 * conf/org.devhost.fleet.cfg}). Without it the component does not run. Names with dots in a
 * {@code .cfg} ({@code broker.url}), as DS maps {@code _} to {@code .}.
 */
@ObjectClassDefinition(id = EdgeNode.PID, name = "devhost fleet (Sparkplug B edge node)",
        description = "The host as a Sparkplug B 3.0 edge node on an MQTT broker: births and deaths, every device"
                + " as a Sparkplug device, module states, and node commands (rebirth, load, unload, restart).")
public @interface FleetConfig {
    @AttributeDefinition(name = "Broker URL", description = "The MQTT broker, tcp://HOST:PORT, or ssl://HOST:PORT"
            + " for TLS (the broker's certificate checked against tls.ca.file and its host name); or several of one"
            + " kind, comma-separated, tried in that order. Required.")
    String broker_url() default "";

    @AttributeDefinition(name = "Group id", description = "The Sparkplug group id: the second level of every topic."
            + " No '+', '/' or '#'.")
    String group_id() default "devhost";

    @AttributeDefinition(name = "Edge node id", description = "The Sparkplug edge node id, unique in the group."
            + " Empty: this machine's host name. No '+', '/' or '#'.")
    String edge_node_id() default "";

    @AttributeDefinition(name = "User name", description = "The MQTT user name; empty for none.", required = false)
    String username() default "";

    @AttributeDefinition(name = "Password file", description = "A file holding the MQTT password (one line; its"
            + " final line end is not part of it), owned by the host's user and readable by nobody else. Never the"
            + " password itself in configuration.", required = false)
    String password_file() default "";

    @AttributeDefinition(name = "TLS CA file", description = "PEM: the CA certificate(s) the broker's certificate"
            + " must chain to (ssl:// only). Empty: the JDK's trusted CAs.", required = false)
    String tls_ca_file() default "";

    @AttributeDefinition(name = "TLS certificate file", description = "PEM: this node's client certificate (and its"
            + " chain), for a broker that requires one. With tls.key.file.", required = false)
    String tls_cert_file() default "";

    @AttributeDefinition(name = "TLS key file", description = "PEM, PKCS#8, unencrypted (BEGIN PRIVATE KEY): the"
            + " certificate's private key; owned by the host's user and readable by nobody else.", required = false)
    String tls_key_file() default "";

    @AttributeDefinition(name = "Keep-alive (s)", description = "MQTT keep-alive: the broker sends the node's"
            + " death certificate (its Will) when it has heard nothing for 1.5 times this.", min = "1", max = "65535")
    int keep_alive_s() default 30;

    @AttributeDefinition(name = "Primary host id", description = "A Sparkplug host application to wait for: births"
            + " only once its STATE says online, and commands only while it is. Empty: none.", required = false)
    String primary_host_id() default "";

    @AttributeDefinition(name = "First reconnect wait (ms)", description = "The first wait after a lost or failed"
            + " connection; it doubles with each failure in a row up to the next value, with random jitter.",
            min = "10")
    long reconnect_initial_ms() default 1000;

    @AttributeDefinition(name = "Longest reconnect wait (ms)", min = "10")
    long reconnect_max_ms() default 60000;

    @AttributeDefinition(name = "Connect timeout (s)", description = "How long one connection attempt may take.",
            min = "1", max = "600")
    int connect_timeout_s() default 10;
}
