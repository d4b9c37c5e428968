package org.devhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.devhost.kernel.ModuleManager;
import org.devhost.kernel.ModuleStatus;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;

/**
 * The supervisor's events (org/devhost/module/*) in a test's framework, as "module TOPIC": the
 * robustness tests check with it that nothing they do (long blocking reads, an operation stuck
 * past the revoke timeout, a driver bug or two, a thousand loads) made the supervisor restart a
 * module behind their back.
 */
final class SupervisorEvents {
    private static final String BARRIER = "org/devhost/itest/barrier";
    /** Per recorded list: barrier events its handler has received. */
    private static final Map<List<String>, Semaphore> BARRIERS = new ConcurrentHashMap<>();

    private SupervisorEvents() {}

    static List<String> record(Class<?> test) {
        BundleContext context = FrameworkUtil.getBundle(test).getBundleContext();
        List<String> seen = new CopyOnWriteArrayList<>();
        Semaphore barriers = new Semaphore(0);
        BARRIERS.put(seen, barriers);
        Dictionary<String, Object> topics = new Hashtable<>();
        topics.put(EventConstants.EVENT_TOPIC, new String[] {"org/devhost/module/*", BARRIER});
        context.registerService(EventHandler.class, e -> {
            if (e.getTopic().equals(BARRIER)) {
                barriers.release();
            } else {
                seen.add(e.getProperty("module") + " " + e.getTopic().substring(e.getTopic().lastIndexOf('/') + 1)
                        + " (" + e.getProperty("reason") + ")");
            }
        }, topics);
        return seen;
    }

    /**
     * No module was restarted. The supervisor's own state is read first: it changes before an
     * event is posted, so a restart whose event is still on its way shows there. Then a barrier
     * event goes through Event Admin's asynchronous delivery and the recorded events are read
     * once it has come out, so that events queued before it have had their turn.
     */
    static void assertNoneRestarted(Class<?> test, List<String> seen) throws InterruptedException {
        BundleContext context = FrameworkUtil.getBundle(test).getBundleContext();
        ModuleManager modules = context.getService(context.getServiceReference(ModuleManager.class));
        for (ModuleStatus m : modules.modules()) {
            assertEquals("restarts of " + m.name(), 0, m.restarts());
            assertTrue(m.name() + " is " + m.state(), m.state() != ModuleStatus.State.RESTARTING
                    && m.state() != ModuleStatus.State.FAILED);
        }
        EventAdmin events = context.getService(context.getServiceReference(EventAdmin.class));
        events.postEvent(new Event(BARRIER, Map.of()));
        assertTrue("the barrier event came through Event Admin", BARRIERS.get(seen).tryAcquire(30, TimeUnit.SECONDS));
        assertEquals("no module was restarted by the supervisor", List.of(), seen);
    }
}
