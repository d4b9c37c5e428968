package org.devhost.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.devhost.fleet.HostView.DeviceView;
import org.devhost.fleet.HostView.ModuleView;
import org.devhost.fleet.HostView.Snapshot;
import org.devhost.fleet.proto.SparkplugB.Payload;
import org.junit.jupiter.api.Test;

/** The host application's view, fed with what the edge node's own {@link Payloads} write. */
class FleetViewTest {
    private static Payload birth(long bdSeq, int restarts) throws Exception {
        Snapshot s = new Snapshot(Map.of("scull", new ModuleView("scull", "live", restarts, "1.0")), Map.of());
        return Payloads.parse(Payloads.nbirth(bdSeq, s, "0.1", 1));
    }

    private static Payload death(long bdSeq) throws Exception {
        return Payloads.parse(Payloads.ndeath(bdSeq, 1));
    }

    @Test
    void aBirthPutsTheNodeOnlineWithItsModulesAndDevices() throws Exception {
        FleetView v = new FleetView();
        assertEquals(FleetView.Seen.NOTHING, v.take("NBIRTH", "a", null, birth(7, 2), 1000));
        v.take("DBIRTH", "a", "scull0", Payloads.parse(Payloads.dbirth(new DeviceView("scull0", 253, 0, "scull", "char", 0664, 1), 1, 1)), 1001);
        FleetView.Node a = v.node("a");
        assertTrue(a.online());
        assertEquals(7, a.bdSeq());
        assertEquals(1000, a.since());
        assertEquals("0.1", a.version());
        assertEquals(new FleetView.Module("live", 2, "1.0"), a.modules().get("scull"));
        assertEquals(2, a.restarts());
        assertEquals(new FleetView.Device("scull0", "253:0", "scull", "char", "0664"), a.devices().get("scull0"));
        v.take("DDEATH", "a", "scull0", Payloads.parse(Payloads.ddeath(2, 1)), 1002);
        assertTrue(v.node("a").devices().isEmpty());
    }

    @Test
    void onlyTheDeathOfTheCurrentBirthPutsTheNodeOffline() throws Exception {
        FleetView v = new FleetView();
        v.take("NBIRTH", "a", null, birth(8, 0), 1000);
        v.take("NDEATH", "a", null, death(7), 2000); // a late Will of the connection before
        assertTrue(v.node("a").online());
        v.take("NDEATH", "a", null, death(8), 3000);
        assertFalse(v.node("a").online());
        assertEquals(3000, v.node("a").since());
    }

    @Test
    void dataUpdatesModulesAndCarriesResults() throws Exception {
        FleetView v = new FleetView();
        v.take("NBIRTH", "a", null, birth(1, 0), 1000);
        Payload data = Payloads.parse(Payloads.ndata(List.of(Payloads.int32("Modules/scull/Restarts", 1),
                Payloads.string(Payloads.RESULT, "{\"request\":\"r-1\",\"result\":\"ok\",\"module\":\"scull\"}")), 1, 1));
        FleetView.Seen seen = v.take("NDATA", "a", null, data, 1001);
        assertFalse(seen.askRebirth());
        assertEquals(List.of(Map.of("request", "r-1", "result", "ok", "module", "scull")), seen.results());
        assertEquals(1, v.node("a").modules().get("scull").restarts());
        assertEquals("live", v.node("a").modules().get("scull").state());
    }

    @Test
    void aNodeNotSeenBornOrASeqGapOrAnUndeclaredMetricAsksForARebirth() throws Exception {
        FleetView v = new FleetView();
        assertTrue(v.take("NDATA", "x", null, Payloads.parse(Payloads.ndata(List.of(), 5, 1)), 1).askRebirth());
        assertNull(v.node("x"));
        v.take("NBIRTH", "a", null, birth(1, 0), 1000);
        assertFalse(v.take("NDATA", "a", null, Payloads.parse(Payloads.ndata(List.of(), 1, 1)), 1).askRebirth());
        assertTrue(v.take("NDATA", "a", null, Payloads.parse(Payloads.ndata(List.of(), 3, 1)), 1).askRebirth(), "seq 2 missing");
        assertTrue(v.take("NDATA", "a", null, Payloads.parse(Payloads.ndata(
                List.of(Payloads.string("Modules/new/State", "live")), 4, 1)), 1).askRebirth());
        assertEquals(5, v.messages());
    }
}
