package org.devhost.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WebConsoleTest {
    @Test
    void withoutAPasswordOneIsGeneratedAndNoFormOfItReachesAProperty() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv(WebConsole.PASSWORD_ENV) == null,
                WebConsole.PASSWORD_ENV + " is set here, so no password is generated");
        Map<String, String> config = new HashMap<>();
        WebConsole.Login login = WebConsole.configure(config, new SecureRandom());
        assertTrue(login.generated());
        assertEquals("devhost", login.user());
        assertTrue(login.password().length() >= 16, login.password());
        assertNoFormOf(login.password(), config);
        assertEquals("devhost", config.get("felix.webconsole.username"));
        assertEquals("127.0.0.1", config.get("org.apache.felix.http.host"));
        assertEquals("8080", config.get("org.osgi.service.http.port"));
        assertEquals("devhost", config.get("felix.webconsole.security.providers"));
        assertEquals(Long.toString(64L << 20), config.get("devhost.web.upload.max"));
        assertTrue(login.shown().contains(login.password()));
        assertTrue(login.credentials().test("devhost", login.password()));

        WebConsole.Login other = WebConsole.configure(new HashMap<>(), new SecureRandom());
        assertNotEquals(login.password(), other.password());
    }

    @Test
    void aConfiguredPasswordIsTakenOutOfThePropertiesNotPrintedAndOnlyItsCredentialsKnowIt() throws Exception {
        Map<String, String> config = new HashMap<>(Map.of("devhost.web.password", "s3cret", "devhost.web.user", "ops",
                "devhost.web.port", "9000", "devhost.web.host", "0.0.0.0"));
        WebConsole.Login login = WebConsole.configure(config, new SecureRandom());
        assertFalse(login.generated());
        assertFalse(config.containsKey("devhost.web.password"));
        assertNoFormOf("s3cret", config);
        assertEquals("ops", config.get("felix.webconsole.username"));
        assertEquals("9000", config.get("org.osgi.service.http.port"));
        assertEquals("0.0.0.0", config.get("org.apache.felix.http.host"));
        assertFalse(login.shown().contains("s3cret"), login.shown());
        assertTrue(login.credentials().test("ops", "s3cret"));
        assertFalse(login.credentials().test("ops", "s3cret "));
        assertFalse(login.credentials().test("ops", "S3cret"));
        assertFalse(login.credentials().test("devhost", "s3cret"));
        assertFalse(login.credentials().test("ops", null));
        assertFalse(login.credentials().toString().contains("s3cret"), login.credentials().toString());
    }

    @Test
    void theConsolesOwnPasswordPropertyMatchesNoPasswordAndTheConsoleWaitsForDevhostsLogin() throws Exception {
        Map<String, String> config = new HashMap<>(Map.of("devhost.web.password", "admin",
                "felix.webconsole.security.providers", "sso"));
        WebConsole.configure(config, new SecureRandom());
        String consoles = config.get("felix.webconsole.password");
        assertTrue(consoles.startsWith("{sha-256}"), consoles);
        // not the console's built-in hash of admin, whatever the password
        assertNotEquals("{sha-256}jGl25bVBBBW96Qi9Te4V37Fnqchz/Eu4qB9vKrRIqRg=", consoles);
        // random, not derived from the password: the same password gives another value every start
        Map<String, String> again = new HashMap<>(Map.of("devhost.web.password", "admin"));
        WebConsole.configure(again, new SecureRandom());
        assertNotEquals(consoles, again.get("felix.webconsole.password"));
        assertEquals("sso,devhost", config.get("felix.webconsole.security.providers"));
    }

    @Test
    void aPasswordInTheConsolesOwnFormIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WebConsole.configure(
                new HashMap<>(Map.of("felix.webconsole.password", "{sha-256}jGl25bVBBBW96Qi9Te4V37Fnqchz/Eu4qB9vKrRIqRg=")),
                new SecureRandom()));
        assertTrue(e.getMessage().contains("devhost.web.password"), e.getMessage());
    }

    @Test
    void theUploadLimitIsASize() {
        assertEquals(64L << 20, WebConsole.size(null));
        assertEquals(4096, WebConsole.size("4096"));
        assertEquals(512L << 10, WebConsole.size("512k"));
        assertEquals(128L << 20, WebConsole.size("128M"));
        assertEquals(2L << 30, WebConsole.size("2g"));
        for (String bad : List.of("", "0", "-1", "64 MiB", "1.5m", "12t", "99999999999999999g")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WebConsole.size(bad), bad);
            assertTrue(e.getMessage().startsWith("devhost.web.upload.max=" + bad + " is not a size"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class,
                () -> WebConsole.configure(new HashMap<>(Map.of("devhost.web.upload.max", "lots")), new SecureRandom()));
    }

    @Test
    void aPortThatIsNoPortIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> WebConsole.configure(new HashMap<>(Map.of("devhost.web.port", "http")), new SecureRandom()));
        assertThrows(IllegalArgumentException.class,
                () -> WebConsole.configure(new HashMap<>(Map.of("devhost.web.port", "70000")), new SecureRandom()));
    }

    /**
     * Neither the password nor its unsalted SHA-256 (Base64 or hex, the console's form or not) is
     * in any property: the console's status dump prints them all.
     */
    private static void assertNoFormOf(String password, Map<String, String> config) throws Exception {
        byte[] sha = MessageDigest.getInstance("SHA-256").digest(password.getBytes(StandardCharsets.UTF_8));
        for (String form : List.of(password, Base64.getEncoder().encodeToString(sha), HexFormat.of().formatHex(sha))) {
            config.forEach((k, v) -> assertFalse(v.contains(form), k + "=" + v + " holds " + form));
        }
    }
}
