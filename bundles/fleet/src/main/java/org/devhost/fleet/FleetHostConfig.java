package org.devhost.fleet;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The host application's configuration (Configuration Admin PID {@value HostApplication#PID}, e.g.
 * {@code conf/org.devhost.fleet.host.cfg}). Without it there is no host application and no {@code
 * fleet:*} command. The broker, credential and TLS settings mean what they mean for the edge node
 * ({@link FleetConfig}).
 */
@ObjectClassDefinition(id = HostApplication.PID, name = "devhost fleet host application (Sparkplug B)",
        description = "A Sparkplug B 3.0 host application in this host's shell: publishes its STATE, follows the"
                + " group's edge nodes, and sends them module commands (fleet:ls, fleet:devices, fleet:insmod,"
                + " fleet:rmmod, fleet:restart).")
public @interface FleetHostConfig {
    @AttributeDefinition(name = "Broker URL", description = "tcp://HOST:PORT or ssl://HOST:PORT. Required.")
    String broker_url() default "";

    @AttributeDefinition(name = "Group id", description = "The Sparkplug group whose edge nodes this host application"
            + " follows and commands.")
    String group_id() default "devhost";

    @AttributeDefinition(name = "Host id", description = "The host application's id: its STATE is published on"
            + " spBv1.0/STATE/HOST_ID; edge nodes name it as their primary.host.id. No '+', '/' or '#'.")
    String host_id() default "";

    @AttributeDefinition(name = "User name", required = false)
    String username() default "";

    @AttributeDefinition(name = "Password file", description = "The MQTT password's file, owner-only.", required = false)
    String password_file() default "";

    @AttributeDefinition(name = "TLS CA file", required = false)
    String tls_ca_file() default "";

    @AttributeDefinition(name = "TLS certificate file", required = false)
    String tls_cert_file() default "";

    @AttributeDefinition(name = "TLS key file", description = "PKCS#8, unencrypted, owner-only.", required = false)
    String tls_key_file() default "";

    @AttributeDefinition(name = "Keep-alive (s)", min = "1", max = "65535")
    int keep_alive_s() default 30;

    @AttributeDefinition(name = "Command timeout (s)", description = "How long fleet:insmod, fleet:rmmod and"
            + " fleet:restart wait for each node's result.", min = "1", max = "3600")
    int command_timeout_s() default 60;

    @AttributeDefinition(name = "First reconnect wait (ms)", min = "10")
    long reconnect_initial_ms() default 1000;

    @AttributeDefinition(name = "Longest reconnect wait (ms)", min = "10")
    long reconnect_max_ms() default 60000;

    @AttributeDefinition(name = "Connect timeout (s)", min = "1", max = "600")
    int connect_timeout_s() default 10;
}
