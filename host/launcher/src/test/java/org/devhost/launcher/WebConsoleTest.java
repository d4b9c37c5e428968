package org.devhost.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WebConsoleTest {
    @Test
    void theHashIsTheConsolesOwnForm() {
        // the Felix Web Console's built-in default is this hash of "admin"
        assertEquals("{sha-256}jGl25bVBBBW96Qi9Te4V37Fnqchz/Eu4qB9vKrRIqRg=", WebConsole.hash("admin"));
    }

    @Test
    void withoutAPasswordOneIsGeneratedAndOnlyItsHashReachesTheConsole() {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv(WebConsole.PASSWORD_ENV) == null,
                WebConsole.PASSWORD_ENV + " is set here, so no password is generated");
        Map<String, String> config = new HashMap<>();
        WebConsole.Login login = WebConsole.configure(config, new SecureRandom());
        assertTrue(login.generated());
        assertEquals("devhost", login.user());
        assertTrue(login.password().length() >= 16, login.password());
        assertEquals(WebConsole.hash(login.password()), config.get("felix.webconsole.password"));
        assertEquals("devhost", config.get("felix.webconsole.username"));
        assertEquals("127.0.0.1", config.get("org.apache.felix.http.host"));
        assertEquals("8080", config.get("org.osgi.service.http.port"));
        assertTrue(login.shown().contains(login.password()));

        WebConsole.Login other = WebConsole.configure(new HashMap<>(), new SecureRandom());
        assertNotEquals(login.password(), other.password());
    }

    @Test
    void aConfiguredPasswordIsHashedTakenOutOfThePropertiesAndNotPrinted() {
        Map<String, String> config = new HashMap<>(Map.of("devhost.web.password", "s3cret", "devhost.web.user", "ops",
                "devhost.web.port", "9000", "devhost.web.host", "0.0.0.0"));
        WebConsole.Login login = WebConsole.configure(config, new SecureRandom());
        assertFalse(login.generated());
        assertFalse(config.containsKey("devhost.web.password"));
        assertFalse(config.containsValue("s3cret"));
        assertEquals(WebConsole.hash("s3cret"), config.get("felix.webconsole.password"));
        assertEquals("ops", config.get("felix.webconsole.username"));
        assertEquals("9000", config.get("org.osgi.service.http.port"));
        assertEquals("0.0.0.0", config.get("org.apache.felix.http.host"));
        assertFalse(login.shown().contains("s3cret"), login.shown());
    }

    @Test
    void aPortThatIsNoPortIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> WebConsole.configure(new HashMap<>(Map.of("devhost.web.port", "http")), new SecureRandom()));
        assertThrows(IllegalArgumentException.class,
                () -> WebConsole.configure(new HashMap<>(Map.of("devhost.web.port", "70000")), new SecureRandom()));
    }
}
