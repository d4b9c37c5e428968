package org.devhost.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.devhost.fleet.HostView.ModuleView;
import org.devhost.fleet.proto.SparkplugB.Payload.Metric;
import org.junit.jupiter.api.Test;

/**
 * What changed while offline: kept as historical metrics stamped with the time they were seen,
 * bounded (the oldest go first), and given back for the new birth's metrics only.
 */
class OutboxTest {
    private static List<Metric> restarts(String module, int n) {
        return List.of(Payloads.int32(Payloads.MODULES + module + "/Restarts", n));
    }

    @Test
    void changesAreHistoricalStampedWithTheirTimeAndComeBackOldestFirst() {
        Outbox o = new Outbox(8);
        o.add(1000, restarts("scull", 1));
        o.add(2000, Payloads.module(new ModuleView("faulty", "restarting", 2, "1.0")));
        o.add(3000, List.of()); // no change, no entry
        assertEquals(2, o.size());
        List<Outbox.Entry> out = o.take(Set.of("Modules/scull/Restarts", "Modules/faulty/State", "Modules/faulty/Restarts",
                "Modules/faulty/Version"));
        assertEquals(List.of(1000L, 2000L), out.stream().map(Outbox.Entry::timeMillis).toList());
        for (Outbox.Entry e : out) {
            for (Metric m : e.metrics()) {
                assertTrue(m.getIsHistorical(), m.toString());
                assertEquals(e.timeMillis(), m.getTimestamp(), m.toString());
            }
        }
        assertEquals(1, out.get(0).metrics().get(0).getIntValue());
        assertEquals(0, o.size(), "taken once");
    }

    @Test
    void beyondItsBoundTheOldestAreDroppedAndCounted() {
        Outbox o = new Outbox(3);
        for (int i = 1; i <= 5; i++) {
            o.add(i, restarts("scull", i));
        }
        assertEquals(3, o.size());
        assertEquals(2, o.dropped());
        List<Outbox.Entry> out = o.take(Set.of("Modules/scull/Restarts"));
        assertEquals(List.of(3, 4, 5), out.stream().map(e -> e.metrics().get(0).getIntValue()).toList());
        assertEquals(0, o.dropped());
    }

    @Test
    void metricsTheNewBirthDoesNotDeclareAreLeftOut() {
        Outbox o = new Outbox(8);
        o.add(1, restarts("gone", 1)); // unloaded while offline: not in the new NBIRTH
        o.add(2, List.of(restarts("scull", 1).get(0), restarts("gone", 2).get(0)));
        List<Outbox.Entry> out = o.take(Set.of("Modules/scull/Restarts"));
        assertEquals(1, out.size());
        assertEquals(List.of("Modules/scull/Restarts"), out.get(0).metrics().stream().map(Metric::getName).toList());
    }
}
