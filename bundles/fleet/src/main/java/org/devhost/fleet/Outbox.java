package org.devhost.fleet;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import org.devhost.fleet.proto.SparkplugB.Payload.Metric;

/**
 * The node's data observed while it had no Sparkplug session (no connection, or a connection
 * still waiting for the primary host): each look that found module metrics changed is one entry,
 * its metrics stamped with the time of that look and flagged {@code is_historical} (Sparkplug 3.0
 * chapter 6: "store and forward ... should not be considered a real time/current value"). After
 * the next birth, which carries the current values, the session publishes each entry as an NDATA,
 * oldest first, keeping only the metrics that birth declared (a metric of a module unloaded
 * meanwhile may not appear in this session: the specification's "NBIRTH ... MUST include all
 * metrics ... that will ever be published ... within the established Sparkplug session").
 *
 * <p>Bounded: beyond {@code capacity} entries the oldest is dropped and counted. Births and
 * command results never go here (the births are made afresh, the results have their own queue).
 * Device births and deaths never go here either: a lost session ended every device with it, and a
 * DDEATH of the old session sent in the new one would end a device its new DBIRTH declared. Not
 * thread-safe: the session's thread alone uses it.
 */
final class Outbox {
    /** One look's changes: when, and the metrics as they were then (historical, each with that timestamp). */
    record Entry(long timeMillis, List<Metric> metrics) {}

    private final int capacity;
    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    private int dropped;

    Outbox(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("an outbox of " + capacity + " entries");
        }
        this.capacity = capacity;
    }

    /** Keeps {@code changed} as seen at {@code timeMillis}; drops the oldest entry when full. */
    void add(long timeMillis, Collection<Metric> changed) {
        if (changed.isEmpty()) {
            return;
        }
        List<Metric> historical = new ArrayList<>(changed.size());
        for (Metric m : changed) {
            historical.add(m.toBuilder().setTimestamp(timeMillis).setIsHistorical(true).build());
        }
        if (entries.size() == capacity) {
            entries.removeFirst();
            dropped++;
        }
        entries.addLast(new Entry(timeMillis, List.copyOf(historical)));
    }

    int size() {
        return entries.size();
    }

    /** Entries dropped since the last {@link #take}. */
    int dropped() {
        return dropped;
    }

    /**
     * Empties the outbox: its entries, oldest first, each with only the metrics named in {@code
     * declared} (the new birth's); entries left with none are left out.
     */
    List<Entry> take(Set<String> declared) {
        List<Entry> out = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            List<Metric> kept = e.metrics().stream().filter(m -> declared.contains(m.getName())).toList();
            if (!kept.isEmpty()) {
                out.add(new Entry(e.timeMillis(), kept));
            }
        }
        entries.clear();
        dropped = 0;
        return out;
    }
}
