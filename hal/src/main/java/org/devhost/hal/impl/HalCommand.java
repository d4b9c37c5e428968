package org.devhost.hal.impl;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import org.devhost.hal.Hal;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * The Gogo command {@code dev:hal}: which HAL backend serves, and its version. It lives in this
 * bundle, which carries the HAL API and is there on every JDK, so exactly one {@code dev:hal}
 * exists whichever backends run. It reads service references only: it never gets a {@link Hal},
 * so listing a backend does not bind its native library. Stateless; thread-safe.
 */
@Component(service = HalCommand.class, property = {"osgi.command.scope=dev", "osgi.command.function=hal"})
public final class HalCommand {
    /** The manifest header in which each backend bundle names itself and its version. */
    public static final String BACKEND_HEADER = "DevHost-Hal-Backend";

    private final BundleContext context;

    @Activate
    public HalCommand(BundleContext context) {
        this.context = context;
    }

    /** Lists the HAL backends, the serving one (the highest {@code service.ranking}) first, marked '*'. */
    public String hal() throws InvalidSyntaxException {
        Collection<ServiceReference<Hal>> found = context.getServiceReferences(Hal.class, null);
        List<ServiceReference<Hal>> refs = new ArrayList<>(found);
        refs.sort(Comparator.reverseOrder()); // ServiceReference order: ranking, then age
        if (refs.isEmpty()) {
            return "no HAL backend is registered";
        }
        StringBuilder out = new StringBuilder("BACKEND  RANKING  WHAT                                          BUNDLE                      USED BY\n");
        for (int i = 0; i < refs.size(); i++) {
            ServiceReference<Hal> r = refs.get(i);
            Bundle b = r.getBundle();
            Object rank = r.getProperty("service.ranking");
            Bundle[] users = r.getUsingBundles();
            out.append(String.format("%s %-6s %7s  %-44s  %-26s  %s%n", i == 0 ? "*" : " ",
                    r.getProperty("devhost.hal.backend"), rank == null ? "0" : rank, describe(b),
                    b.getSymbolicName() + " " + b.getVersion(),
                    users == null ? "-" : Arrays.stream(users).map(Bundle::getSymbolicName).sorted()
                            .collect(Collectors.joining(","))));
        }
        out.append("* serves (the highest service.ranking); JDK ").append(Runtime.version());
        return out.toString();
    }

    /** A backend bundle's own words for itself ({@link #BACKEND_HEADER}). */
    static String describe(Bundle b) {
        String d = b.getHeaders("").get(BACKEND_HEADER);
        return d == null ? "(unknown backend)" : d;
    }
}
