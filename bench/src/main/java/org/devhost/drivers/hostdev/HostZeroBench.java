package org.devhost.drivers.hostdev;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.devhost.hal.DeviceNode;
import org.devhost.hal.common.HostHal;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.testing.TestKernel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/** A read through {@code host_zero} (registry + hostdev + HAL) against the HAL alone. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HostZeroBench {
    @Param({"1", "65536"})
    public int size;

    private TestKernel kernel;
    private DeviceRegistry module;
    private OpenFile hostZero;
    private DeviceNode halZero;
    private ByteBuffer buf;

    @Setup
    public void load() {
        HostHal hal = new HostHal(List.of("/dev/"));
        kernel = new TestKernel();
        module = kernel.load("hostdev");
        Set<DeviceNode> live = ConcurrentHashMap.newKeySet();
        module.registerMisc("host_zero", MiscDevice.DYNAMIC_MINOR, new HostNodeFile(hal, "/dev/zero", live));
        hostZero = kernel.load("bench").open("host_zero", OpenFlags.O_RDONLY);
        halZero = hal.open("/dev/zero", OpenFlags.O_RDONLY);
        buf = org.devhost.bench.PageAligned.buffer(size);
    }

    @TearDown
    public void unload() {
        hostZero.close();
        halZero.close();
        kernel.unload(module);
    }

    @Benchmark
    public int registryHostZero() {
        buf.clear();
        return hostZero.read(buf);
    }

    @Benchmark
    public int halZero() {
        buf.clear();
        return halZero.read(buf);
    }
}
