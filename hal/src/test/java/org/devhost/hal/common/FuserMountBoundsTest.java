package org.devhost.hal.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.devhost.hal.FuseChannel;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fusermount3 that never answers, or answers and never exits, cannot hang the host: the mount
 * fails with ETIMEDOUT and the helper is stopped and reaped. Fake helpers are shell scripts started
 * exactly as fusermount3 is (the socket as descriptor 3). With the real fusermount3 (as root), the
 * descriptor it sends arrives close-on-exec. A hang fails the test at its timeout.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FuserMountBoundsTest {
    private static final Syscalls SYS = new HostHal(HostHal.DEFAULT_ALLOWED).syscalls();

    @TempDir
    Path tmp;

    private static FuserMount fuserMount(String helper, long boundMillis) {
        NativeBuffers buffers = new NativeBuffers(SYS);
        return new FuserMount(new FuseMounts(SYS, buffers), SYS, buffers, helper, boundMillis);
    }

    private Path helper(String name, String script) throws IOException {
        Path p = tmp.resolve(name);
        Files.writeString(p, "#!/bin/sh\n" + script + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
        return p;
    }

    /** Children of this JVM still running a helper of this test (by its marker argument). */
    private static List<ProcessHandle> helpersLeft(String marker) {
        return ProcessHandle.current().children()
                .filter(p -> p.info().commandLine().orElse("").contains(marker)).collect(Collectors.toList());
    }

    @Test
    void aHelperThatNeverAnswersIsStoppedAndTheMountFailsWithEtimedout() throws Exception {
        // keeps descriptor 3 (the socket) open and says nothing, as a wedged fusermount3 would
        Path helper = helper("silent", "exec sleep 607");
        KernelException e = assertThrows(KernelException.class,
                () -> fuserMount(helper.toString(), 300).mount("halfuser", tmp.resolve("mnt").toString(), "default_permissions"));
        assertEquals(Errno.ETIMEDOUT, e.errno(), e.getMessage());
        assertTrue(e.getMessage().contains("did not answer within 1 s while mounting " + tmp.resolve("mnt")), e.getMessage());
        assertEquals(List.of(), helpersLeft("sleep 607"), "the helper is stopped and reaped");
    }

    @Test
    void aHelperThatClosesWithoutADescriptorAndNeverExitsIsStopped() throws Exception {
        Path helper = helper("lingering", "exec 3>&-\nexec sleep 608");
        KernelException e = assertThrows(KernelException.class,
                () -> fuserMount(helper.toString(), 300).mount("halfuser", tmp.resolve("mnt").toString(), "default_permissions"));
        assertEquals(Errno.ETIMEDOUT, e.errno(), e.getMessage());
        assertTrue(e.getMessage().contains("neither mounted " + tmp.resolve("mnt") + " nor exited"), e.getMessage());
        assertEquals(List.of(), helpersLeft("sleep 608"), "the helper is stopped and reaped");
    }

    @Test
    void aHelperThatFailsIsReportedWithItsExit() throws Exception {
        Path helper = helper("failing", "exit 3");
        KernelException e = assertThrows(KernelException.class,
                () -> fuserMount(helper.toString(), 5000).mount("halfuser", tmp.resolve("mnt").toString(), "default_permissions"));
        assertEquals(Errno.EPERM, e.errno(), e.getMessage());
        assertTrue(e.getMessage().contains("(exit 3;"), e.getMessage());
    }

    private static Set<String> fuseDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().equals("/dev/fuse");
                } catch (IOException gone) {
                    return false;
                }
            }).map(fd -> fd.getFileName().toString()).collect(Collectors.toSet());
        }
    }

    @Test
    void theDescriptorFromTheRealFusermount3IsCloseOnExec() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "mounting through fusermount3 here needs root; skipping");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/fusermount3")), "no /usr/bin/fusermount3 (apt-get install fuse3); skipping");
        assumeTrue(Files.exists(Path.of("/dev/fuse")), "/dev/fuse is absent on this machine; skipping");
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "hal-fuser-");
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        Set<String> before = fuseDescriptors();
        FuseChannel c = new FuserMount(new FuseMounts(SYS, new NativeBuffers(SYS)), SYS, new NativeBuffers(SYS))
                .mount("halfuser", mnt.toString(), "default_permissions");
        try {
            Set<String> added = fuseDescriptors();
            added.removeAll(before);
            assertEquals(1, added.size(), "one new /dev/fuse descriptor: " + added);
            String fd = added.iterator().next();
            String flags = Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd)).stream()
                    .filter(l -> l.startsWith("flags:")).findFirst().orElseThrow().substring(6).trim();
            assertTrue((Integer.parseInt(flags, 8) & 02000000) != 0, "O_CLOEXEC in the flags " + flags + " of fd " + fd);
        } finally {
            c.close();
            new ProcessBuilder("sh", "-c", "umount -l " + mnt + " 2>/dev/null; rm -rf " + dir).start().waitFor(30, TimeUnit.SECONDS);
        }
    }
}
