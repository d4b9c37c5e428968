package org.devhost.fleet;

import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.devhost.fleet.HostView.DeviceView;
import org.devhost.fleet.HostView.ModuleView;
import org.devhost.fleet.HostView.Snapshot;
import org.devhost.fleet.proto.SparkplugB.Payload;
import org.devhost.fleet.proto.SparkplugB.Payload.Metric;

/**
 * The Sparkplug B payloads of devhost's edge node (Sparkplug 3.0 chapter 6): which metrics each
 * message carries, with which names and data types, encoded with the protobuf classes compiled
 * from {@code sparkplug_payload.proto}. Stateless; the caller supplies {@code seq} and the time.
 */
final class Payloads {
    // DataType numbers of the specification
    static final int INT32 = 3;
    static final int INT64 = 4;
    static final int BOOLEAN = 11;
    static final int STRING = 12;

    static final String BD_SEQ = "bdSeq";
    static final String REBIRTH = "Node Control/Rebirth";
    static final String LOAD = "Node Control/Load Module";
    static final String UNLOAD = "Node Control/Unload Module";
    static final String RESTART = "Node Control/Restart Module";
    static final String SET = "Node Control/Set Parameters";
    static final String REQUEST = "Node Control/Request Id";
    static final String RESULT = "Node Control/Result";
    static final String VERSION = "Properties/Devhost Version";
    static final String JDK = "Properties/JDK";
    static final String OS = "Properties/OS";
    /** Module metrics: {@code Modules/NAME/State}, {@code .../Restarts}, {@code .../Version}. */
    static final String MODULES = "Modules/";

    private Payloads() {}

    /** The death certificate: registered as the Will at connect, and sent before a clean disconnect. No seq. */
    static byte[] ndeath(long bdSeq, long now) {
        return Payload.newBuilder().setTimestamp(now).addMetrics(int64(BD_SEQ, bdSeq)).build().toByteArray();
    }

    /**
     * The node's birth certificate: {@code bdSeq} (the Will's), the writable command metrics with
     * their idle values, what runs here, and each module's state, restarts and version.
     */
    static byte[] nbirth(long bdSeq, Snapshot host, String devhostVersion, long now) {
        Payload.Builder p = Payload.newBuilder().setTimestamp(now).setSeq(0);
        p.addMetrics(int64(BD_SEQ, bdSeq));
        p.addMetrics(bool(REBIRTH, false));
        p.addMetrics(string(LOAD, ""));
        p.addMetrics(string(UNLOAD, ""));
        p.addMetrics(string(RESTART, ""));
        p.addMetrics(string(SET, ""));
        p.addMetrics(string(REQUEST, ""));
        p.addMetrics(string(RESULT, ""));
        p.addMetrics(string(VERSION, devhostVersion));
        p.addMetrics(string(JDK, System.getProperty("java.runtime.version", System.getProperty("java.version"))
                + " (" + System.getProperty("java.vendor", "?") + ")"));
        p.addMetrics(string(OS, System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch")));
        for (ModuleView m : host.modules().values()) {
            p.addAllMetrics(module(m));
        }
        return p.build().toByteArray();
    }

    /** A device's birth certificate: its number, module, type and mode. */
    static byte[] dbirth(DeviceView d, long seq, long now) {
        return Payload.newBuilder().setTimestamp(now).setSeq(seq)
                .addMetrics(string("Name", d.name()))
                .addMetrics(string("Number", d.number()))
                .addMetrics(int32("Major", d.major()))
                .addMetrics(int32("Minor", d.minor()))
                .addMetrics(string("Module", d.module()))
                .addMetrics(string("Type", d.type()))
                .addMetrics(string("Mode", String.format("0%03o", d.mode())))
                .build().toByteArray();
    }

    /** A device's death certificate: only seq and the time. */
    static byte[] ddeath(long seq, long now) {
        return Payload.newBuilder().setTimestamp(now).setSeq(seq).build().toByteArray();
    }

    /** Node data: the module metrics whose values changed, and command results. */
    static byte[] ndata(Collection<Metric> metrics, long seq, long now) {
        return Payload.newBuilder().setTimestamp(now).setSeq(seq).addAllMetrics(metrics).build().toByteArray();
    }

    /** A module's three metrics, as the NBIRTH and NDATA carry them. */
    static List<Metric> module(ModuleView m) {
        return List.of(string(MODULES + m.name() + "/State", m.state()), int32(MODULES + m.name() + "/Restarts", m.restarts()),
                string(MODULES + m.name() + "/Version", m.version()));
    }

    /** The metrics of {@code now} whose values differ from {@code before}'s (same module names on both sides). */
    static List<Metric> changed(Map<String, ModuleView> before, Map<String, ModuleView> now) {
        List<Metric> out = new ArrayList<>();
        for (ModuleView m : now.values()) {
            ModuleView b = before.get(m.name());
            if (b == null || !b.state().equals(m.state())) {
                out.add(string(MODULES + m.name() + "/State", m.state()));
            }
            if (b == null || b.restarts() != m.restarts()) {
                out.add(int32(MODULES + m.name() + "/Restarts", m.restarts()));
            }
            if (b == null || !b.version().equals(m.version())) {
                out.add(string(MODULES + m.name() + "/Version", m.version()));
            }
        }
        return out;
    }

    /** An incoming NCMD (or anything with a Sparkplug payload). */
    static Payload parse(byte[] bytes) throws InvalidProtocolBufferException {
        return Payload.parseFrom(bytes);
    }

    static Metric string(String name, String value) {
        return Metric.newBuilder().setName(name).setDatatype(STRING).setStringValue(value).build();
    }

    static Metric bool(String name, boolean value) {
        return Metric.newBuilder().setName(name).setDatatype(BOOLEAN).setBooleanValue(value).build();
    }

    /** Int32 travels in the uint32 field, two's complement (the specification's rule). */
    static Metric int32(String name, int value) {
        return Metric.newBuilder().setName(name).setDatatype(INT32).setIntValue(value).build();
    }

    /** Int64 travels in the uint64 field, two's complement. */
    static Metric int64(String name, long value) {
        return Metric.newBuilder().setName(name).setDatatype(INT64).setLongValue(value).build();
    }
}
