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
    void thePasswordComesFromAFileOnlyTheHostUserMayRead() throws Exception {
        Path file = tmp.resolve("pw");
        Files.writeString(file, "s3cret\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        Settings s = Settings.of(config(Map.of("broker_url", "tcp://x:1", "username", "gw", "password_file", file.toString())), "h");
        assertArrayEquals("s3cret".toCharArray(), s.password());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertTrue(assertThrows(IOException.class, s::password).getMessage().contains("chmod 600"));
    }
}
