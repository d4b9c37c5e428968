package org.devhost.web;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * What the console's guards are configured with, read once from the framework properties the
 * launcher sets: the names the console answers to, and the largest request body it reads.
 *
 * <ul>
 * <li>Names ({@link #names}): the loopback names {@code 127.0.0.1}, {@code localhost} and {@code
 *     [::1]} always; the listening address {@code org.apache.felix.http.host} (from {@code
 *     devhost.web.host}) unless it is a wildcard ({@code 0.0.0.0}, {@code ::}); and each name of
 *     {@code devhost.web.hosts} (comma-separated), for a machine reached under a DNS name. All lower
 *     case; an IPv6 address in brackets, as it appears in a {@code Host} header.
 * <li>{@code devhost.web.upload.max}: bytes, as the launcher normalized it (it refuses a bad value
 *     at the start); {@link #DEFAULT_UPLOAD_MAX} when absent.
 * </ul>
 *
 * <p>Immutable; thread-safe.
 */
record ConsoleSettings(Set<String> names, long uploadMax) {
    static final long DEFAULT_UPLOAD_MAX = 64L << 20;
    static final String HOST = "org.apache.felix.http.host";
    static final String HOSTS = "devhost.web.hosts";
    static final String UPLOAD_MAX = "devhost.web.upload.max";

    ConsoleSettings {
        names = Collections.unmodifiableSet(new LinkedHashSet<>(names)); // in order, for the refusal's sentence
    }

    /** From the framework properties ({@code BundleContext::getProperty}). */
    static ConsoleSettings from(Function<String, String> properties) {
        Set<String> names = new LinkedHashSet<>(java.util.List.of("127.0.0.1", "localhost", "[::1]"));
        String listen = properties.apply(HOST);
        if (listen != null && !isWildcard(listen.trim())) {
            names.add(hostName(listen.trim()));
        }
        String more = properties.apply(HOSTS);
        if (more != null) {
            for (String n : more.split(",")) {
                if (!n.isBlank()) {
                    names.add(hostName(n.trim()));
                }
            }
        }
        long max = DEFAULT_UPLOAD_MAX;
        String configured = properties.apply(UPLOAD_MAX);
        if (configured != null) {
            try {
                max = Long.parseLong(configured.trim());
            } catch (NumberFormatException e) {
                max = DEFAULT_UPLOAD_MAX; // the launcher refuses such a value; a hand-made framework may not
            }
        }
        return new ConsoleSettings(names, max > 0 ? max : DEFAULT_UPLOAD_MAX);
    }

    private static boolean isWildcard(String host) {
        return host.isEmpty() || host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]") || host.equals("*");
    }

    /** A name as a {@code Host} header carries it: lower case, an IPv6 address in brackets. */
    static String hostName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.contains(":") && !n.startsWith("[") ? "[" + n + "]" : n;
    }
}
