package org.devhost.drivers.mem;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.File;
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

/**
 * What the registry adds on top of a driver: a read from the mem driver's {@code zero} through an
 * open registry file, against calling the same driver method directly; and open + close of a
 * device against a lookup. (In this package to reach the driver's {@code Zero} class.)
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RegistryPathBench {
    @Param({"1", "65536"})
    public int size;

    private TestKernel kernel;
    private DeviceRegistry module;
    private DeviceRegistry user;
    private OpenFile file;
    private final Mem.Zero direct = new Mem.Zero();
    private File directFile;
    private ByteBuffer buf;

    @Setup
    public void load() {
        kernel = new TestKernel();
        module = kernel.load("mem");
        new Mem(module);
        user = kernel.load("bench");
        file = user.open("zero", OpenFlags.O_RDONLY);
        directFile = (File) file; // the driver's view of the same file, for the direct call
        buf = org.devhost.bench.PageAligned.buffer(size);
    }

    @TearDown
    public void unload() {
        file.close();
        kernel.unload(module);
    }

    @Benchmark
    public int registryRead() {
        buf.clear();
        return file.read(buf);
    }

    @Benchmark
    public int directRead() {
        buf.clear();
        return direct.read(null, directFile, buf, 0);
    }

    @Benchmark
    public void openClose() {
        user.open("zero", OpenFlags.O_RDONLY).close();
    }

    @Benchmark
    public Object lookup() {
        return user.device("zero").orElseThrow();
    }
}
