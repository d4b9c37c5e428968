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

/**
 * The HAL against the machine: ioctl per call and /dev/zero reads, with FileChannel beside it.
 * Buffers are page-aligned, as the C baseline's (bench/c/baseline.c), so both ask the kernel to
 * clear the same kind of memory.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HalBench {
    private Pty pty;
    private DeviceNode kvm;
    private final ByteBuffer winsize = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());

    /** What the reads need, per buffer size (the ioctls run once, not once per size). */
    @State(Scope.Thread)
    public static class Reads {
        @Param({"1", "4096", "65536", "1048576"})
        public int size;

        private DeviceNode zero;
        private FileChannel channel;
        private ByteBuffer buf;

        @Setup
        public void open() throws IOException {
            zero = new HostHal(List.of("/dev/")).open("/dev/zero", OpenFlags.O_RDONLY);
            channel = FileChannel.open(Path.of("/dev/zero"), StandardOpenOption.READ);
            buf = PageAligned.buffer(size);
        }

        @TearDown
        public void close() throws IOException {
            zero.close();
            channel.close();
        }
    }

    @Setup
    public void open() throws IOException {
        HostHal hal = new HostHal(List.of("/dev/"));
        pty = Pty.open(hal);
        kvm = hal.open("/dev/kvm", OpenFlags.O_RDWR);
    }

    @TearDown
    public void close() throws IOException {
        pty.close();
        kvm.close();
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
    public int halReadZero(Reads r) {
        r.buf.clear();
        return r.zero.read(r.buf);
    }

    @Benchmark
    public int fileChannelReadZero(Reads r) throws IOException {
        r.buf.clear();
        return r.channel.read(r.buf);
    }
}
