package org.devhost.launcher;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.SynchronousBundleListener;
import org.osgi.framework.launch.Framework;

/**
 * The host's stop, however it comes (end of input, Gogo's exit, SIGTERM, Ctrl-C), in bounded time
 * and without a mount left behind.
 *
 * <p>When the framework begins to stop, devfs stops first: its stop unmounts, so a driver whose
 * drop never returns (which holds the framework's stop for ever, as the framework waits for every
 * bundle in turn) cannot leave a dead mount behind. Then the stop has {@link #TIMEOUT_PROPERTY}
 * milliseconds; past them the host names the bundles still not stopped and the JVM halts, since
 * nothing can make a thread return from driver code.
 */
final class BoundedStop implements SynchronousBundleListener {
    static final String TIMEOUT_PROPERTY = "devhost.stop.timeout.ms";
    static final long DEFAULT_TIMEOUT_MS = 30_000;
    private static final String DEVFS = "org.devhost.devfs";

    private final Framework framework;
    private final long timeoutMs;
    private boolean begun;

    private BoundedStop(Framework framework, long timeoutMs) {
        this.framework = framework;
        this.timeoutMs = timeoutMs;
    }

    /** Watches the framework's stop from now on. */
    static void install(Framework framework, String timeoutProperty) {
        long ms = DEFAULT_TIMEOUT_MS;
        try {
            if (timeoutProperty != null && Long.parseLong(timeoutProperty.trim()) > 0) {
                ms = Long.parseLong(timeoutProperty.trim());
            }
        } catch (NumberFormatException e) {
            System.err.println("devhost: " + TIMEOUT_PROPERTY + "=" + timeoutProperty + " is not a number of milliseconds; using "
                    + ms);
        }
        framework.getBundleContext().addBundleListener(new BoundedStop(framework, ms));
    }

    @Override
    public void bundleChanged(BundleEvent event) {
        if (event.getBundle().getBundleId() != 0 || event.getType() != BundleEvent.STOPPING) {
            return;
        }
        synchronized (this) {
            if (begun) {
                return;
            }
            begun = true;
        }
        // On the framework's stopping thread, before it stops any bundle.
        Thread watch = new Thread(this::haltIfStillStopping, "devhost-stop-deadline");
        watch.setDaemon(true);
        watch.start();
        for (Bundle b : framework.getBundleContext().getBundles()) {
            if (DEVFS.equals(b.getSymbolicName()) && b.getState() == Bundle.ACTIVE) {
                stopWithin(b, timeoutMs);
            }
        }
    }

    /** Stops a bundle on a thread of its own, waiting at most {@code ms}: its own stop may be what hangs. */
    private static void stopWithin(Bundle b, long ms) {
        Thread t = new Thread(() -> {
            try {
                b.stop(Bundle.STOP_TRANSIENT);
            } catch (Exception e) {
                System.err.println("devhost: stopping " + b.getSymbolicName() + " first failed: " + e.getMessage());
            }
        }, "devhost-stop-" + b.getSymbolicName());
        t.setDaemon(true);
        t.start();
        try {
            t.join(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void haltIfStillStopping() {
        try {
            FrameworkEvent e = framework.waitForStop(timeoutMs);
            if (e.getType() != FrameworkEvent.WAIT_TIMEDOUT) {
                return;
            }
        } catch (InterruptedException e) {
            return;
        }
        // The bundle the framework is stopping now is the one that holds it; the rest wait behind it.
        List<String> stopping = new ArrayList<>();
        Bundle[] all = framework.getBundleContext() == null ? new Bundle[0] : framework.getBundleContext().getBundles();
        for (Bundle b : all) {
            if (b.getBundleId() != 0 && b.getState() == Bundle.STOPPING) {
                stopping.add(b.getSymbolicName() + " (bundle " + b.getBundleId() + ")");
            }
        }
        System.err.println("devhost: the host did not stop within " + TimeUnit.MILLISECONDS.toSeconds(timeoutMs)
                + " s (" + TIMEOUT_PROPERTY + "); still stopping: " + (stopping.isEmpty() ? "the framework" : String.join(", ", stopping))
                + ". A driver's drop did not return; the JVM ends now.");
        System.err.flush();
        Runtime.getRuntime().halt(1);
    }
}
