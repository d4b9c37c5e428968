package org.devhost.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.devhost.hal.DeviceNode;
import org.devhost.hal.KnownIoctls;
import org.devhost.hal.Pty;
import org.devhost.hal.common.HostHal;
import org.devhost.kernel.OpenFlags;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/** The HAL against the machine: ioctl per call and /dev/zero reads, with FileChannel beside it. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HalBench {
    @Param({"1", "4096", "65536", "1048576"})
    public int size;

    private Pty pty;
    private DeviceNode kvm;
    private DeviceNode zero;
    private FileChannel channel;
    private ByteBuffer buf;
    private final ByteBuffer winsize = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());

    @Setup
    public void open() throws IOException {
        HostHal hal = new HostHal(List.of("/dev/"));
        pty = Pty.open(hal);
        kvm = hal.open("/dev/kvm", OpenFlags.O_RDWR);
        zero = hal.open("/dev/zero", OpenFlags.O_RDONLY);
        channel = FileChannel.open(Path.of("/dev/zero"), StandardOpenOption.READ);
        buf = ByteBuffer.allocateDirect(size);
    }

    @TearDown
    public void close() throws IOException {
        pty.close();
        kvm.close();
        zero.close();
        channel.close();
    }

    @Benchmark
    public int ioctlTiocgwinsz() {
        return pty.master().ioctl(KnownIoctls.TIOCGWINSZ, winsize);
    }

    @Benchmark
    public int ioctlKvmApiVersion() {
        return kvm.ioctl(KnownIoctls.KVM_GET_API_VERSION, 0);
    }

    @Benchmark
    public int halReadZero() {
        buf.clear();
        return zero.read(buf);
    }

    @Benchmark
    public int fileChannelReadZero() throws IOException {
        buf.clear();
        return channel.read(buf);
    }
}
