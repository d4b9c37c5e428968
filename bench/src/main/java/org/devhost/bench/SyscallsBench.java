package org.devhost.bench;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.devhost.hal.KnownIoctls;
import org.devhost.hal.common.HostHal;
import org.devhost.hal.common.Syscalls;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The backend's floor: the calls {@link HalBench} makes, straight through the HAL's backend
 * ({@link Syscalls}: the binding and errno capture, nothing of the HAL above it). What {@link
 * HalBench} measures beyond this is the HAL's own work (reference count, ioctl rules, buffer
 * address); what this measures beyond C is the JDK's (or JNA's) call. The quick ioctl is the call
 * the HAL makes for a command that cannot wait (FFM links it critical; JNA has no such thing).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SyscallsBench {
    private static final int O_RDONLY = 0;
    private static final int O_RDWR = 2;
    private static final int O_NOCTTY = 0400;
    private static final int O_CLOEXEC = 02000000;

    private Syscalls sys;
    private int ptmx;
    private int kvm;
    private int zero;
    private long buf;

    @Setup
    public void open() {
        sys = HostHal.defaultSyscalls();
        buf = sys.malloc(64);
        ptmx = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
        zero = open("/dev/zero", O_RDONLY | O_CLOEXEC);
    }

    private int open(String path, int flags) {
        byte[] b = (path + "\0").getBytes(StandardCharsets.UTF_8);
        sys.view(buf, b.length).put(b);
        int fd = sys.open(buf, flags);
        if (fd < 0) {
            throw new IllegalStateException(path + ": errno " + -fd);
        }
        return fd;
    }

    @TearDown
    public void close() {
        sys.close(ptmx);
        sys.close(kvm);
        sys.close(zero);
        sys.free(buf);
    }

    @Benchmark
    public int syscallIoctlTiocgwinsz() {
        return sys.ioctl(ptmx, KnownIoctls.TIOCGWINSZ, buf);
    }

    @Benchmark
    public int syscallIoctlKvmApiVersion() {
        return sys.ioctl(kvm, KnownIoctls.KVM_GET_API_VERSION, 0);
    }

    @Benchmark
    public long syscallReadZero1() {
        return sys.read(zero, buf, 1);
    }

    /** The quick ioctl (FFM: linked critical), which the HAL uses for the quick commands. */
    @Benchmark
    public int syscallQuickIoctlKvmApiVersion() {
        return sys.ioctlQuick(kvm, KnownIoctls.KVM_GET_API_VERSION, 0);
    }
}
