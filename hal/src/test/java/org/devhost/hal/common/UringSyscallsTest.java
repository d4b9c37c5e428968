package org.devhost.hal.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The system calls devfs's io_uring transport stands on, through the backend this run of the
 * shared suite tests (JNA on JDK 17, FFM on 22+): each does what its man page says and returns
 * minus the error number on failure, so {@link UringQueue} works the same on both.
 */
class UringSyscallsTest {
    private final Syscalls sys = new HostHal(HostHal.DEFAULT_ALLOWED).syscalls();

    @Test
    void ioUringSetupMakesARingAndEnterReachesIt() throws java.io.IOException {
        Path disabled = Path.of("/proc/sys/kernel/io_uring_disabled"); // Linux 6.6+: 0 lets every process make rings
        assumeTrue(Files.isReadable(disabled) && Files.readString(disabled).trim().equals("0"),
                "no io_uring for every process here (" + disabled + " missing or not 0)");
        int probe = sys.ioUringSetup(4, 0);
        assumeTrue(probe != -1, "io_uring_setup is refused here (EPERM: a seccomp filter, as in some containers)");
        assertEquals(-14, probe, "EFAULT for no parameters: the call reached the kernel (-38: this backend has no io_uring)");
        ByteBuffer params = ByteBuffer.allocateDirect(120).order(ByteOrder.nativeOrder()); // struct io_uring_params
        int fd = sys.ioUringSetup(4, sys.address(params));
        try {
            assertTrue(fd >= 0, "io_uring_setup gave " + fd);
            assertEquals(4, params.getInt(0), "sq_entries");
            assertEquals(8, params.getInt(4), "cq_entries: twice the submission queue's");
            assertEquals(0, sys.ioUringEnter(fd, 0, 0, 0), "nothing to submit, nothing to wait for");
        } finally {
            sys.close(fd);
        }
        assertEquals(-9, sys.ioUringEnter(-1, 0, 0, 0), "EBADF for no descriptor: the error comes back as minus errno");
    }

    @Test
    void mmapGivesMemoryAndMunmapTakesItBack() {
        int prot = 3; // PROT_READ | PROT_WRITE
        int flags = 0x22; // MAP_PRIVATE | MAP_ANONYMOUS
        long at = sys.mmap(0, 8192, prot, flags, -1, 0);
        assertTrue(at > 0, "mmap gave " + at);
        ByteBuffer view = sys.view(at, 8192);
        view.putLong(8184, 0x1122334455667788L);
        assertEquals(0x1122334455667788L, view.getLong(8184));
        assertEquals(0, sys.munmap(at, 8192));
        assertEquals(-22, sys.mmap(0, 0, prot, flags, -1, 0), "EINVAL for a length of 0");
    }

    @Test
    void pinToCpuPinsTheCallingThreadOnly() throws Exception {
        String mine = cpusAllowed(Path.of("/proc/thread-self/status")); // e.g. "0-1", or "1" under taskset
        int cpu = Integer.parseInt(mine.split("[,-]")[0]); // one this process may run on
        AtomicReference<String> allowed = new AtomicReference<>();
        AtomicReference<Integer> result = new AtomicReference<>();
        Thread t = new Thread(() -> {
            result.set(sys.pinToCpu(cpu));
            try {
                allowed.set(cpusAllowed(Path.of("/proc/thread-self/status")));
            } catch (java.io.IOException e) {
                allowed.set(e.toString());
            }
        });
        t.start();
        t.join();
        assertEquals(0, result.get());
        assertEquals(Integer.toString(cpu), allowed.get(), "the pinned thread may run on CPU " + cpu + " alone");
        assertEquals(mine, cpusAllowed(Path.of("/proc/thread-self/status")), "the caller's own thread was not the one pinned");
        assertEquals(-22, sys.pinToCpu(4096), "EINVAL for a CPU beyond cpu_set_t");
    }

    private static String cpusAllowed(Path status) throws java.io.IOException {
        return Files.readAllLines(status).stream().filter(l -> l.startsWith("Cpus_allowed_list:"))
                .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("?");
    }
}
