package org.devhost.kernel.impl.supervisor;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;

/**
 * What the supervisor tells the world: an Event Admin event per step of a module's failure and
 * recovery, on {@value #TOPIC} + CRASHED, HUNG, RESTARTING, RESTARTED or FAILED, with the module's
 * name, its restart count and, where they apply, the kind of failure, the reason and the back-off.
 * Posted (asynchronous), never sent: a listener cannot hold up a restart. Nothing when no Event
 * Admin runs.
 */
final class Events {
    static final String TOPIC = "org/devhost/module/";

    private final Supplier<EventAdmin> admin;

    Events(Supplier<EventAdmin> admin) {
        this.admin = admin;
    }

    void post(String topic, String module, String kind, String reason, int restarts, long backoffMs) {
        EventAdmin ea = admin.get();
        if (ea == null) {
            return;
        }
        Map<String, Object> p = new HashMap<>();
        p.put("module", module);
        p.put("restarts", restarts);
        if (kind != null) {
            p.put("kind", kind);
        }
        if (reason != null) {
            p.put("reason", reason);
        }
        if (backoffMs >= 0) {
            p.put("backoff.ms", backoffMs);
        }
        ea.postEvent(new Event(TOPIC + topic, p));
    }
}
