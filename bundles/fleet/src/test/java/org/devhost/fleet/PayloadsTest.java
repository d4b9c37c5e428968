package org.devhost.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.devhost.fleet.HostView.DeviceView;
import org.devhost.fleet.HostView.ModuleView;
import org.devhost.fleet.HostView.Snapshot;
import org.devhost.fleet.proto.SparkplugB.Payload;
import org.devhost.fleet.proto.SparkplugB.Payload.Metric;
import org.junit.jupiter.api.Test;

/**
 * The messages' contents by the specification's rules (FleetIT decodes the same bytes with Eclipse
 * Tahu): bdSeq as Int64 in NDEATH and NBIRTH, no seq in NDEATH, seq 0 in NBIRTH, Rebirth false.
 */
class PayloadsTest {
    private static Metric metric(Payload p, String name) {
        return p.getMetricsList().stream().filter(m -> m.getName().equals(name)).findFirst().orElseThrow(() -> new AssertionError(name));
    }

    private static Snapshot host() {
        Map<String, ModuleView> modules = new TreeMap<>(Map.of("scull", new ModuleView("scull", "live", 2, "0.1.0")));
        Map<String, DeviceView> devices = Map.of("scull0", new DeviceView("scull0", 253, 0, "scull", "char", 0664, 7));
        return new Snapshot(modules, devices);
    }

    @Test
    void theDeathCertificateCarriesBdSeqAndNoSeq() throws Exception {
        Payload p = Payloads.parse(Payloads.ndeath(255, 1000));
        assertFalse(p.hasSeq());
        assertEquals(1000, p.getTimestamp());
        assertEquals(Payloads.INT64, metric(p, "bdSeq").getDatatype());
        assertEquals(255, metric(p, "bdSeq").getLongValue());
    }

    @Test
    void theBirthCertificateDeclaresTheCommandsAndTheModules() throws Exception {
        Payload p = Payloads.parse(Payloads.nbirth(7, host(), "0.1.0", 2000));
        assertTrue(p.hasSeq());
        assertEquals(0, p.getSeq());
        assertEquals(7, metric(p, "bdSeq").getLongValue());
        assertEquals(Payloads.BOOLEAN, metric(p, "Node Control/Rebirth").getDatatype());
        assertFalse(metric(p, "Node Control/Rebirth").getBooleanValue());
        assertEquals("", metric(p, "Node Control/Load Module").getStringValue());
        assertEquals("live", metric(p, "Modules/scull/State").getStringValue());
        assertEquals(2, metric(p, "Modules/scull/Restarts").getIntValue());
    }

    @Test
    void aDeviceBirthNamesItsNumberModuleTypeAndMode() throws Exception {
        Payload p = Payloads.parse(Payloads.dbirth(host().devices().get("scull0"), 3, 0));
        assertEquals(3, p.getSeq());
        assertEquals("253:0", metric(p, "Number").getStringValue());
        assertEquals("scull", metric(p, "Module").getStringValue());
        assertEquals("char", metric(p, "Type").getStringValue());
        assertEquals("0664", metric(p, "Mode").getStringValue());
        assertEquals(253, metric(p, "Major").getIntValue());
    }

    @Test
    void onlyChangedModuleValuesAreData() {
        Map<String, ModuleView> before = Map.of("faulty", new ModuleView("faulty", "live", 0, "1"));
        Map<String, ModuleView> after = Map.of("faulty", new ModuleView("faulty", "restarting", 1, "1"));
        List<Metric> changed = Payloads.changed(before, after);
        assertEquals(List.of("Modules/faulty/State", "Modules/faulty/Restarts"), changed.stream().map(Metric::getName).toList());
        assertTrue(Payloads.changed(after, after).isEmpty());
    }

    @Test
    void anInt32BelowZeroTravelsAsTwosComplement() {
        assertEquals(-1, Payloads.int32("x", -1).getIntValue());
    }
}
