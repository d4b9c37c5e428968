package org.devhost.bench;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Where the HAL's time per call goes: read(2) of one byte from /dev/zero through bare JNA direct
 * mappings of different shapes (address as long, with and without errno capture; NIO buffer).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class JnaCallBench {
    static final class Bare {
        static {
            Native.register(Bare.class, "c");
        }

        static native int open(String path, int flags);

        static native long read(int fd, long buf, long count);
    }

    static final class WithErrno {
        static {
            Native.register(WithErrno.class, "c");
        }

        static native long read(int fd, long buf, long count) throws LastErrorException;
    }

    static final class WithBuffer {
        static {
            Native.register(WithBuffer.class, "c");
        }

        static native long read(int fd, ByteBuffer buf, long count) throws LastErrorException;
    }

    private int fd;
    private final ByteBuffer buf = ByteBuffer.allocateDirect(1);
    private long address;

    @Setup
    public void open() {
        fd = Bare.open("/dev/zero", 0);
        address = Pointer.nativeValue(Native.getDirectBufferPointer(buf));
    }

    @Benchmark
    public long bareLongAddress() {
        return Bare.read(fd, address, 1);
    }

    @Benchmark
    public long errnoLongAddress() {
        return WithErrno.read(fd, address, 1);
    }

    @Benchmark
    public long errnoLongAddressLookedUp() {
        return WithErrno.read(fd, Pointer.nativeValue(Native.getDirectBufferPointer(buf)), 1);
    }

    @Benchmark
    public long errnoBuffer() {
        return WithBuffer.read(fd, buf, 1);
    }
}
