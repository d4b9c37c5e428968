package org.devhost.itests;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;

/**
 * The supervisor's events (org/devhost/module/*) in a test's framework, as "module TOPIC": the
 * robustness tests check with it that nothing they do (long blocking reads, an operation stuck
 * past the revoke timeout, a driver bug or two, a thousand loads) made the supervisor restart a
 * module behind their back.
 */
final class SupervisorEvents {
    private SupervisorEvents() {}

    static List<String> record(Class<?> test) {
        BundleContext context = FrameworkUtil.getBundle(test).getBundleContext();
        List<String> seen = new CopyOnWriteArrayList<>();
        Dictionary<String, Object> topics = new Hashtable<>();
        topics.put(EventConstants.EVENT_TOPIC, "org/devhost/module/*");
        context.registerService(EventHandler.class, e -> seen.add(e.getProperty("module") + " "
                + e.getTopic().substring(e.getTopic().lastIndexOf('/') + 1) + " (" + e.getProperty("reason") + ")"), topics);
        return seen;
    }
}
