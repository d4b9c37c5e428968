package org.devhost.itests.drivers;

import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Heartbeat;
import org.devhost.kernel.KernelModule;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * A test driver with a thread of its own that calls in on a heartbeat (the example of {@link
 * Heartbeat}). It counts its beats in the system property {@link #BEATS}; setting {@link #SILENCE}
 * makes the running worker fall silent once (it takes the property away and stays alive without
 * beating, as a worker stuck on a lost interrupt would), so a restarted instance beats again.
 */
@KernelModule(name = "itest_beating", description = "calls in on a heartbeat")
@Component(immediate = true)
public final class Beating {
    public static final String BEATS = "itest.beating.beats";
    public static final String SILENCE = "itest.beating.silence";
    static final long PERIOD_MS = 400;

    private final Heartbeat heartbeat;
    private final Thread worker;
    private volatile boolean running = true;

    @Activate
    public Beating(@Reference DeviceRegistry registry) {
        heartbeat = registry.heartbeat(PERIOD_MS);           // in init
        worker = new Thread(() -> {
            boolean silent = false;
            while (running) {
                if (!silent && System.getProperties().remove(SILENCE) != null) {
                    silent = true;
                }
                if (!silent) {
                    heartbeat.beat();                          // well within the period
                    System.setProperty(BEATS, String.valueOf(Integer.getInteger(BEATS, 0) + 1));
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "itest_beating worker");
        worker.start();
    }

    @Deactivate
    void drop() throws InterruptedException {
        running = false;
        worker.interrupt();
        worker.join(5000);
    }
}
