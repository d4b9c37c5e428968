package org.devhost.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RequestRulesTest {
    private static final ConsoleSettings LOOPBACK = ConsoleSettings.from(Map.of(
            "org.apache.felix.http.host", "127.0.0.1", "devhost.web.upload.max", "4096")::get);
    private static final String OWN = "http://127.0.0.1:8080";

    /** A request to the console on 127.0.0.1:8080 with these headers (names as in HTTP). */
    private static Optional<RequestRules.Refusal> check(ConsoleSettings settings, String method, Map<String, String> headers) {
        Map<String, String> h = new HashMap<>(headers);
        long length = h.containsKey("Content-Length") ? Long.parseLong(h.get("Content-Length")) : -1;
        return RequestRules.check(settings, new RequestRules.Request(method, "/system/console/modules", "http",
                h.get("Host"), h.get("Origin"), h.get("Sec-Fetch-Site"), h.get("X-Devhost-Console"), length, 8080, "127.0.0.1"));
    }

    private static Optional<RequestRules.Refusal> post(Map<String, String> headers) {
        Map<String, String> h = new HashMap<>(Map.of("Host", "127.0.0.1:8080"));
        h.putAll(headers);
        return check(LOOPBACK, "POST", h);
    }

    @Test
    void theConsolesOwnPagesMayChangeThings() {
        // devhost's pages: this origin and the header
        assertEquals(Optional.empty(), post(Map.of("Origin", OWN, "X-Devhost-Console", "1", "Sec-Fetch-Site", "same-origin")));
        // the Felix console's own jQuery posts and forms: this origin, and the browser's same-origin
        assertEquals(Optional.empty(), post(Map.of("Origin", OWN, "Sec-Fetch-Site", "same-origin")));
        // a browser that sends Sec-Fetch-Site but no Origin (a same-origin GET-turned-POST navigation)
        assertEquals(Optional.empty(), post(Map.of("Sec-Fetch-Site", "same-origin")));
        // a script: Origin and the header, no Sec-Fetch-Site
        assertEquals(Optional.empty(), post(Map.of("Origin", OWN, "X-Devhost-Console", "1")));
        // the origin compared as browsers write it: case does not matter
        assertEquals(Optional.empty(), post(Map.of("Origin", "HTTP://127.0.0.1:8080", "X-Devhost-Console", "1")));
    }

    @Test
    void aChangeFromAnotherOriginIsRefusedWith403SayingWhich() {
        for (String other : new String[] {"http://evil.example", "http://127.0.0.1:8081", "https://127.0.0.1:8080",
                "http://localhost:8080", "null"}) {
            RequestRules.Refusal r = post(Map.of("Origin", other, "X-Devhost-Console", "1", "Sec-Fetch-Site", "same-origin"))
                    .orElseThrow(() -> new AssertionError(other + " was let through"));
            assertEquals(403, r.status(), other);
            assertTrue(r.why().contains("another origin (" + other + ")"), r.why());
        }
        // the browser's own word beats a matching Origin: another site sent it
        for (String site : new String[] {"cross-site", "same-site", "none"}) {
            RequestRules.Refusal r = post(Map.of("Origin", OWN, "X-Devhost-Console", "1", "Sec-Fetch-Site", site)).orElseThrow();
            assertEquals(403, r.status());
            assertTrue(r.why().contains("Sec-Fetch-Site: " + site), r.why());
            assertEquals(403, post(Map.of("Sec-Fetch-Site", site, "X-Devhost-Console", "1")).orElseThrow().status());
        }
    }

    @Test
    void aChangeThatDoesNotShowItComesFromTheConsolesPagesIsRefused() {
        RequestRules.Refusal noHeader = post(Map.of("Origin", OWN)).orElseThrow();
        assertEquals(403, noHeader.status());
        assertTrue(noHeader.why().contains("X-Devhost-Console: 1"), noHeader.why());
        assertEquals(403, post(Map.of("Origin", OWN, "X-Devhost-Console", "yes")).orElseThrow().status());
        RequestRules.Refusal silent = post(Map.of("X-Devhost-Console", "1")).orElseThrow();
        assertEquals(403, silent.status());
        assertTrue(silent.why().contains("neither where it comes from"), silent.why());
        assertEquals(403, post(Map.of()).orElseThrow().status());
    }

    @Test
    void everyMethodButGetHeadAndOptionsIsAChange() {
        for (String m : new String[] {"POST", "PUT", "DELETE", "PATCH", "TRACE", "PROPFIND"}) {
            assertEquals(403, check(LOOPBACK, m, Map.of("Host", "127.0.0.1:8080", "Origin", "http://evil.example"))
                    .orElseThrow().status(), m);
        }
        for (String m : new String[] {"GET", "HEAD", "OPTIONS"}) {
            assertEquals(Optional.empty(), check(LOOPBACK, m, Map.of("Host", "127.0.0.1:8080", "Origin", "http://evil.example")), m);
        }
    }

    @Test
    void onlyTheConsolesNamesAndPortAreAnsweredWhateverTheMethod() {
        for (String host : new String[] {"127.0.0.1:8080", "localhost:8080", "LOCALHOST:8080", "[::1]:8080", "[0:0:0:0:0:0:0:1]:8080"}) {
            assertEquals(Optional.empty(), check(LOOPBACK, "GET", Map.of("Host", host)), host);
        }
        for (String host : new String[] {"evil.example:8080", "evil.example", "127.0.0.1:8081", "127.0.0.1", "localhost.:8080",
                "127.0.0.2:8080", "::1:8080", "[::1", "[::1]x", "127.0.0.1:80a", "2130706433:8080", ":8080", " "}) {
            RequestRules.Refusal r = check(LOOPBACK, "GET", Map.of("Host", host)).orElseThrow(() -> new AssertionError(host));
            assertEquals(421, r.status(), host);
        }
        RequestRules.Refusal rebound = check(LOOPBACK, "POST", Map.of("Host", "evil.example:8080",
                "Origin", "http://evil.example:8080", "X-Devhost-Console", "1")).orElseThrow();
        assertEquals(421, rebound.status());
        assertTrue(rebound.why().contains("'evil.example:8080' is not a name of this console"), rebound.why());
        assertEquals(421, check(LOOPBACK, "GET", Map.of()).orElseThrow().status());
    }

    @Test
    void theConfiguredNamesAndTheAddressTheRequestCameToAreTheConsolesToo() {
        ConsoleSettings lan = ConsoleSettings.from(Map.of("org.apache.felix.http.host", "0.0.0.0",
                "devhost.web.hosts", "devbox.lan, Build-7")::get);
        assertFalse(lan.names().contains("0.0.0.0"));
        for (String host : new String[] {"devbox.lan:8080", "build-7:8080", "127.0.0.1:8080"}) {
            assertEquals(Optional.empty(), check(lan, "GET", Map.of("Host", host)), host);
        }
        // on all interfaces, the address a request arrived on is its own name (never a DNS name)
        assertTrue(RequestRules.isConsoles("192.168.1.5:8080", "http", lan.names(), 8080, "192.168.1.5"));
        assertTrue(RequestRules.isConsoles("[fe80::1]:8080", "http", lan.names(), 8080, "fe80:0:0:0:0:0:0:1"));
        assertFalse(RequestRules.isConsoles("192.168.1.6:8080", "http", lan.names(), 8080, "192.168.1.5"));
        assertFalse(RequestRules.isConsoles("evil.example:8080", "http", lan.names(), 8080, "192.168.1.5"));
        // a console on one address answers to it
        ConsoleSettings one = ConsoleSettings.from(Map.of("org.apache.felix.http.host", "10.0.0.7")::get);
        assertTrue(RequestRules.isConsoles("10.0.0.7:8080", "http", one.names(), 8080, "10.0.0.7"));
        assertTrue(ConsoleSettings.from(Map.of("org.apache.felix.http.host", "::1")::get).names().contains("[::1]"));
        // the default port of the scheme when the Host has none
        assertTrue(RequestRules.isConsoles("localhost", "http", LOOPBACK.names(), 80, "127.0.0.1"));
        assertFalse(RequestRules.isConsoles("localhost", "https", LOOPBACK.names(), 80, "127.0.0.1"));
    }

    @Test
    void aBodyLargerThanTheLimitByItsLengthIsRefusedWith413() {
        Map<String, String> ok = Map.of("Origin", OWN, "X-Devhost-Console", "1");
        Map<String, String> at = new HashMap<>(ok);
        at.put("Content-Length", "4096");
        assertEquals(Optional.empty(), post(at));
        Map<String, String> over = new HashMap<>(ok);
        over.put("Content-Length", "4097");
        RequestRules.Refusal r = post(over).orElseThrow();
        assertEquals(413, r.status());
        assertTrue(r.why().contains("4097 bytes") && r.why().contains("devhost.web.upload.max=4096"), r.why());
        // unknown (chunked): the spool bounds it while reading
        assertEquals(Optional.empty(), post(ok));
        assertEquals(64L << 20, ConsoleSettings.from(Map.<String, String>of()::get).uploadMax());
    }

    @Test
    void aQuotedHeaderIsBoundedAndPrintable() {
        assertEquals("a?b", RequestRules.shown("a\u0007b"));
        assertEquals(203, RequestRules.shown("x".repeat(500)).length());
    }
}
