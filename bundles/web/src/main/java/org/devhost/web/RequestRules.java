package org.devhost.web;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which requests the console refuses before anything else looks at them, and why: the rules
 * {@link ConsoleGuard} applies to every request of the web server, before the login.
 *
 * <ol>
 * <li><b>Host</b>: the {@code Host} header must name the console ({@link ConsoleSettings#names},
 *     or the literal address the request arrived on) with the port it listens on; otherwise 421.
 *     A page that reached the console through DNS rebinding has its own name in {@code Host}, so
 *     it gets nothing, not even the login challenge.
 * <li><b>Where a change comes from</b>: a request that may change something (any method but GET,
 *     HEAD and OPTIONS) must come from the console's own pages. It must be same-origin: its {@code
 *     Origin} equals the console's own ({@code http://} and the {@code Host}), or, without {@code
 *     Origin}, the browser says {@code Sec-Fetch-Site: same-origin}; a {@code Sec-Fetch-Site} of
 *     another value is refused whatever {@code Origin} says. And it must show it was sent by a page
 *     of the console: the header {@code X-Devhost-Console: 1}, which devhost's pages send and which
 *     a page of another origin cannot add without a CORS preflight (that the console never
 *     grants), or, for the Felix console's own pages (jQuery posts and plain forms, to which no
 *     header can be added), the browser's {@code Sec-Fetch-Site: same-origin}, a header no page can
 *     set. Otherwise 403. Scripts ({@code curl}) send {@code Origin} and the header.
 * <li><b>Size</b>: a body larger than {@code devhost.web.upload.max} by its {@code Content-Length}
 *     is refused with 413 before a byte of it is read (a chunked body is bounded while it is read,
 *     by {@link UploadSpool}).
 * </ol>
 *
 * <p>Stateless; thread-safe. Never resolves a name: an address is compared only when it is an
 * address literal.
 */
final class RequestRules {
    /** The header devhost's pages (and scripts) send with every change. */
    static final String CONSOLE_HEADER = "X-Devhost-Console";
    private static final Set<String> SAFE = Set.of("GET", "HEAD", "OPTIONS");
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-f:.]*:[0-9a-f:.]*");

    private RequestRules() {}

    /** What the rules read of a request. Header values are as received, null when absent. */
    record Request(String method, String path, String scheme, String host, String origin, String fetchSite,
            String consoleHeader, long contentLength, int localPort, String localAddress) {}

    /** A refusal: the HTTP status, and why, as a sentence that completes "devhost refused POST /path: ". */
    record Refusal(int status, String why) {}

    static Optional<Refusal> check(ConsoleSettings settings, Request r) {
        if (r.host() == null || r.host().isBlank()) {
            return Optional.of(new Refusal(421, "it has no Host header, so it cannot show it is meant for this console"));
        }
        String host = r.host().trim().toLowerCase(Locale.ROOT);
        if (!isConsoles(host, r.scheme(), settings.names(), r.localPort(), r.localAddress())) {
            return Optional.of(new Refusal(421, "the Host '" + shown(r.host()) + "' is not a name of this console (it answers to "
                    + String.join(", ", settings.names()) + " on port " + r.localPort() + "); a page that reached it"
                    + " under another name, as DNS rebinding does, gets nothing. devhost.web.hosts adds names"));
        }
        if (!SAFE.contains(r.method())) {
            Optional<Refusal> crossSite = crossSite(r, r.scheme() + "://" + host);
            if (crossSite.isPresent()) {
                return crossSite;
            }
        }
        if (r.contentLength() > settings.uploadMax()) {
            return Optional.of(tooLarge(r.contentLength(), settings.uploadMax()));
        }
        return Optional.empty();
    }

    /** 413, for a body of {@code size} bytes (-1: sent in chunks, found larger while read) over {@code max}. */
    static Refusal tooLarge(long size, long max) {
        return new Refusal(413, (size >= 0 ? "its body is " + size + " bytes, more" : "its body, sent in chunks, went past")
                + " than the console reads (devhost.web.upload.max=" + max + " bytes)");
    }

    private static Optional<Refusal> crossSite(Request r, String own) {
        String site = r.fetchSite() == null ? null : r.fetchSite().trim().toLowerCase(Locale.ROOT);
        boolean sameOrigin = "same-origin".equals(site);
        if (r.origin() != null && !r.origin().trim().equalsIgnoreCase(own)) {
            return Optional.of(new Refusal(403, "it comes from a page of another origin (" + shown(r.origin()) + "), and only"
                    + " the console's own pages (" + own + ") may change anything here (a cross-site request)"));
        }
        if (site != null && !sameOrigin) {
            return Optional.of(new Refusal(403, "the browser says a page of another origin sent it (Sec-Fetch-Site: "
                    + shown(site) + "), and only the console's own pages (" + own + ") may change anything here"));
        }
        if (r.origin() == null && !sameOrigin) {
            return Optional.of(new Refusal(403, "it says neither where it comes from (Origin) nor that a page of the"
                    + " console sent it (Sec-Fetch-Site); a script sends Origin: " + own + " and " + CONSOLE_HEADER + ": 1"));
        }
        if (!"1".equals(r.consoleHeader()) && !sameOrigin) {
            return Optional.of(new Refusal(403, "it lacks the header " + CONSOLE_HEADER + ": 1 that the console's pages"
                    + " send; a script sends it with Origin: " + own));
        }
        return Optional.empty();
    }

    /** A header value as a refusal quotes it: at most 200 characters, control characters as '?'. */
    static String shown(String value) {
        String v = value.length() > 200 ? value.substring(0, 200) + "..." : value;
        return v.replaceAll("\\p{Cntrl}", "?");
    }

    /**
     * Whether {@code host} (a {@code Host} header, lower case) names the console: one of {@code
     * names}, or the address the request arrived on, as an address literal; and the port it listens
     * on (a missing port is the scheme's default).
     */
    static boolean isConsoles(String host, String scheme, Set<String> names, int localPort, String localAddress) {
        String name;
        String port;
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            if (end < 0) {
                return false;
            }
            name = host.substring(0, end + 1);
            String rest = host.substring(end + 1);
            if (!rest.isEmpty() && !rest.startsWith(":")) {
                return false;
            }
            port = rest.isEmpty() ? null : rest.substring(1);
        } else {
            int colon = host.lastIndexOf(':');
            name = colon < 0 ? host : host.substring(0, colon);
            port = colon < 0 ? null : host.substring(colon + 1);
            if (name.contains(":")) {
                return false; // an IPv6 address must be in brackets
            }
        }
        int p;
        if (port == null) {
            p = "https".equalsIgnoreCase(scheme) ? 443 : 80;
        } else if (port.matches("\\d{1,5}")) {
            p = Integer.parseInt(port);
        } else {
            return false;
        }
        if (p != localPort || name.isEmpty()) {
            return false;
        }
        if (names.contains(name)) {
            return true;
        }
        Optional<InetAddress> address = literal(name);
        if (address.isEmpty()) {
            return false;
        }
        if (localAddress != null && address.equals(literal(ConsoleSettings.hostName(localAddress)))) {
            return true;
        }
        return names.stream().map(RequestRules::literal).anyMatch(address::equals);
    }

    /** The address an address literal ({@code 127.0.0.1}, {@code [::1]}) names; empty for a name, never looked up. */
    static Optional<InetAddress> literal(String name) {
        String n = name.startsWith("[") && name.endsWith("]") ? name.substring(1, name.length() - 1) : name;
        if (!IPV4.matcher(n).matches() && !(name.startsWith("[") && IPV6.matcher(n).matches())) {
            return Optional.empty();
        }
        try {
            return Optional.of(InetAddress.getByName(n)); // a literal: parsed, not resolved
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }
}
