package org.devhost.kernel.impl.lifecycle;

import java.util.ArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.devhost.kernel.Errno;
import org.devhost.kernel.ModuleManager;
import org.osgi.framework.Bundle;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/** Whether a module's init ran, read from SCR's DTOs: shared by a load and a restart. Stateless. */
public final class ComponentStates {
    /** What {@link #awaitInit} returns when an init is still running at its deadline. */
    static final String STILL_RUNNING = "still running after " + ModuleManager.INIT_WAIT_MS / 1000 + " s";
    private static final Pattern ERRNO = Pattern.compile("\\((E[A-Z]+)\\)");

    private ComponentStates() {}

    /**
     * Waits until every component of the module has activated or one failed; returns the first
     * failure's text, {@link #STILL_RUNNING} when an init is still running at the deadline (a
     * failure too: a load that has not finished is not a load), or null. A component still
     * waiting for a service counts as loaded.
     */
    public static String awaitInit(ServiceComponentRuntime scr, Bundle b) throws InterruptedException {
        long deadline = System.nanoTime() + ModuleManager.INIT_WAIT_MS * 1_000_000L;
        while (true) {
            boolean pending = false;
            for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs(b)) {
                for (ComponentConfigurationDTO c : new ArrayList<>(scr.getComponentConfigurationDTOs(d))) {
                    if (c.state == ComponentConfigurationDTO.FAILED_ACTIVATION) {
                        return c.failure == null ? "init threw" : firstLine(c.failure);
                    }
                    pending |= c.state == ComponentConfigurationDTO.SATISFIED && d.immediate;
                }
            }
            if (!pending) {
                return null;
            }
            if (System.nanoTime() - deadline > 0) {
                return STILL_RUNNING;
            }
            Thread.sleep(5);
        }
    }

    /** The errno a failure text names ({@code (EXXX)}), ETIMEDOUT for {@link #STILL_RUNNING}, else EIO. */
    public static Errno errnoOf(String failure) {
        if (STILL_RUNNING.equals(failure)) {
            return Errno.ETIMEDOUT;
        }
        Matcher m = ERRNO.matcher(failure);
        if (m.find()) {
            try {
                return Errno.valueOf(m.group(1));
            } catch (IllegalArgumentException unknown) {
                return Errno.EIO;
            }
        }
        return Errno.EIO;
    }

    private static String firstLine(String trace) {
        // A constructor that threw reaches SCR wrapped (InvocationTargetException): the driver's
        // own exception is the last "Caused by:".
        String line = trace.lines().findFirst().orElse(trace);
        for (String l : (Iterable<String>) trace.lines()::iterator) {
            if (l.startsWith("Caused by: ")) {
                line = l.substring("Caused by: ".length());
            }
        }
        int colon = line.indexOf(": ");
        return colon > 0 && line.substring(0, colon).matches("[\\w.$]+") ? line.substring(colon + 2) : line;
    }
}
