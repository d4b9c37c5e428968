package org.devhost.devfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.devhost.kernel.Device;
import org.devhost.kernel.DeviceNumber;
import org.devhost.kernel.DeviceType;
import org.devhost.kernel.Operation;
import org.junit.jupiter.api.Test;

/** What the mount shows: a file per device, a link per number, ids never reused. */
class NodesTest {
    private final Nodes nodes = new Nodes(1000, 1000);

    private static Device device(String name, int major, int minor, int mode) {
        return new Device() {
            public String name() { return name; }
            public DeviceNumber number() { return DeviceNumber.of(major, minor); }
            public DeviceType type() { return DeviceType.values()[0]; }
            public String module() { return "test"; }
            public Set<Operation> operations() { return Set.of(Operation.OPEN); }
            public int openCount() { return 0; }
            public int mode() { return mode; }
        };
    }

    @Test
    void aDeviceIsAFileAndALinkNamedByItsNumber() {
        Device zero = device("zero", 1, 5, 0666);
        nodes.add(zero);
        long file = nodes.lookup(Nodes.ROOT, "zero");
        long link = nodes.lookup(Nodes.CHAR, "1:5");
        assertTrue(file != 0 && !Nodes.isLink(file));
        assertTrue(Nodes.isLink(link));
        assertEquals(nodes.node(file), nodes.node(link));
        assertEquals(0666, nodes.node(file).mode);
        assertEquals(1000, nodes.node(file).uid);
        assertEquals(Nodes.CHAR, nodes.lookup(Nodes.ROOT, "char"));
        assertEquals(0, nodes.lookup(Nodes.ROOT, "nosuch"));
    }

    @Test
    void listingsAreSortedAndStartWithDotEntries() {
        nodes.add(device("scull1", 253, 1, 0664));
        nodes.add(device("scull0", 253, 0, 0664));
        List<String> root = nodes.list(Nodes.ROOT).stream().map(Nodes.Entry::name).toList();
        assertEquals(List.of(".", "..", "char", "scull0", "scull1"), root);
        List<String> chr = nodes.list(Nodes.CHAR).stream().map(Nodes.Entry::name).toList();
        assertEquals(List.of(".", "..", "253:0", "253:1"), chr);
    }

    @Test
    void aDeviceRegisteredAgainIsANewNodeAndTheOldIdFindsNothing() {
        Device first = device("scull0", 253, 0, 0664);
        nodes.add(first);
        long old = nodes.lookup(Nodes.ROOT, "scull0");
        nodes.node(old).mode = 0600; // a chmod lives as long as the device
        nodes.remove(first);
        assertNull(nodes.node(old));
        assertEquals(0, nodes.lookup(Nodes.ROOT, "scull0"));
        nodes.add(device("scull0", 253, 0, 0664));
        long now = nodes.lookup(Nodes.ROOT, "scull0");
        assertNotEquals(old, now);
        assertNull(nodes.node(old));
        assertEquals(0664, nodes.node(now).mode);
    }

    @Test
    void removingAStaleDeviceKeepsTheNewOne() {
        Device first = device("x", 240, 0, 0600);
        Device second = device("x", 240, 0, 0600);
        nodes.add(first);
        nodes.add(second); // the second registration came before the first's departure was seen
        nodes.remove(first);
        assertNotEquals(0, nodes.lookup(Nodes.ROOT, "x"));
    }
}
