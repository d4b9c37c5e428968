package org.devhost.fleet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The configuration, checked: each refusal names the setting. */
class SettingsTest {
    @TempDir
    Path tmp;

    /** A configuration with the Metatype defaults and {@code values} over them (names as in the annotation). */
    static FleetConfig config(Map<String, Object> values) {
        return (FleetConfig) Proxy.newProxyInstance(SettingsTest.class.getClassLoader(), new Class<?>[] {FleetConfig.class},
                (proxy, method, args) -> values.containsKey(method.getName()) ? values.get(method.getName()) : method.getDefaultValue());
    }

    @Test
    void theEdgeNodeIdDefaultsToTheHostName() {
        Settings s = Settings.of(config(Map.of("broker_url", "tcp://127.0.0.1:1883")), "gw7");
        assertEquals("gw7", s.node());
        assertEquals("devhost", s.group());
        assertNull(s.primaryHost());
        assertNull(s.username());
        assertEquals(30, s.keepAliveSeconds());
    }

    @Test
    void wrongSettingsAreRefusedWithTheirNames() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Settings.of(config(Map.of()), "h")).getMessage()
                .startsWith("broker.url is not set"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Settings.of(config(Map.of("broker_url", "http://x:1")), "h")).getMessage().contains("tcp://HOST:PORT"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Settings.of(config(Map.of("broker_url", "tcp://x:1", "group_id", "a/b")), "h")).getMessage()
                .startsWith("group.id 'a/b'"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Settings.of(config(Map.of("broker_url", "tcp://x:1", "reconnect_initial_ms", 5000L, "reconnect_max_ms", 10L)), "h"))
                .getMessage().startsWith("reconnect.initial.ms"));
    }

    @Test
    void severalBrokersAreACommaSeparatedListOfOneKindTriedInOrder() throws Exception {
        Settings s = Settings.of(config(Map.of("broker_url", " tcp://a:1883 , tcp://b:1883,tcp://c:1")), "h");
        assertEquals(java.util.List.of("tcp://a:1883", "tcp://b:1883", "tcp://c:1"), s.brokerUrls());
        assertEquals("tcp://a:1883,tcp://b:1883,tcp://c:1", s.brokerUrl());
        assertArrayEquals(new String[] {"tcp://a:1883", "tcp://b:1883", "tcp://c:1"}, Connect.options(s).getServerURIs());
        assertEquals(3 * 10_000 + 1000, Connect.connectBoundMillis(s), "each broker may take the connect timeout");
        assertNull(Connect.options(Settings.of(config(Map.of("broker_url", "tcp://a:1")), "h")).getServerURIs(),
                "one broker: Paho's own URI");
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Settings.of(config(Map.of("broker_url", "tcp://a:1,ssl://b:2")), "h")).getMessage().contains("mixes"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Settings.of(config(Map.of("broker_url", "tcp://a:1,,tcp://b:2")), "h")).getMessage().contains("empty entry"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Settings.of(config(Map.of("broker_url", "tcp://a:1,tcp://a:1")), "h")).getMessage().contains("twice"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Settings.of(config(Map.of("broker_url", "tcp://a:1,b:2")), "h")).getMessage().contains("'b:2'"));
    }

    @Test
    void thePasswordComesFromAFileOnlyTheHostUserMayRead() throws Exception {
        Path file = tmp.resolve("pw");
        Files.writeString(file, "s3cret\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        Settings s = Settings.of(config(Map.of("broker_url", "tcp://x:1", "username", "gw", "password_file", file.toString())), "h");
        assertArrayEquals("s3cret".toCharArray(), s.password());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertTrue(assertThrows(IOException.class, s::password).getMessage().contains("chmod 600"));
    }

    @Test
    void tlsTakesSslUrlsAndTheCertificateWithItsKey() {
        Settings s = Settings.of(config(Map.of("broker_url", "ssl://broker:8883", "tls_ca_file", "/etc/ca.crt",
                "tls_cert_file", "/etc/gw.crt", "tls_key_file", "/etc/gw.key")), "h");
        assertTrue(s.tls());
        assertEquals(Path.of("/etc/gw.key"), s.tlsKeyFile());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Settings.of(config(Map.of("broker_url", "tcp://x:1",
                "tls_ca_file", "/etc/ca.crt")), "h")).getMessage().contains("not ssl://"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Settings.of(config(Map.of("broker_url", "ssl://x:1",
                "tls_cert_file", "/etc/gw.crt")), "h")).getMessage().startsWith("tls.cert.file and tls.key.file go together"));
    }

    @Test
    void aKeyFileOthersMayReadIsRefusedAtConnect() throws Exception {
        Path key = tmp.resolve("gw.key");
        Files.writeString(key, "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r-----"));
        Path cert = tmp.resolve("gw.crt");
        Files.writeString(cert, "not a certificate");
        Settings s = Settings.of(config(Map.of("broker_url", "ssl://x:1", "tls_cert_file", cert.toString(),
                "tls_key_file", key.toString())), "h");
        String why = assertThrows(IOException.class, () -> Tls.socketFactory(s)).getMessage();
        assertEquals("tls.key.file " + key + " may be read or written by others (chmod 600 it)", why);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        why = assertThrows(IOException.class, () -> Tls.socketFactory(s)).getMessage();
        assertTrue(why.startsWith("tls.cert.file " + cert + " is not PEM X.509"), why);
    }
}
