package org.devhost.hal.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.devhost.hal.FuseChannel;
import org.devhost.hal.Hal;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The mount point of a FUSE mount cannot be moved by another user: a folder on its path that
 * another user owns or may write is refused, a link on it too, and the stop detaches only the
 * mount that is still ours. Real mounts of /dev/fuse, as root (skipped otherwise, with why).
 */
class FuseMountPathTest {
    private static final Hal HAL = new HostHal(HostHal.DEFAULT_ALLOWED);
    private Path dir;

    @BeforeAll
    static void needRootAndFuse() {
        assumeTrue("root".equals(System.getProperty("user.name")), "FUSE mounts by mount(2) need root; skipping");
        assumeTrue(Files.exists(Path.of("/dev/fuse")), "/dev/fuse is absent on this machine; skipping");
    }

    @BeforeEach
    void folder() throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "hal-mount-"); // root's, 0700, under sticky /tmp
    }

    @AfterEach
    void cleanUp() throws Exception {
        sh("for m in $(awk '{print $5}' /proc/self/mountinfo | grep '^" + dir + "' | sort -r); do umount -l $m; done; rm -rf " + dir);
    }

    private static String sh(String script) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", script).redirectErrorStream(true).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), script);
        return new String(p.getInputStream().readAllBytes());
    }

    @Test
    void aFolderOfRootsUnderStickyTmpIsAcceptedAndTheStopDetachesOurMount() {
        Path mnt = dir.resolve("a/dev");
        FuseChannel c = HAL.mountFuse("halmount", mnt.toString(), false);
        assertEquals(Optional.of("fuse.halmount"), FuseMounts.mountedType(mnt.toString()));
        c.close();
        assertEquals(Optional.empty(), FuseMounts.mountedType(mnt.toString()));
    }

    @Test
    void aFolderOthersMayWriteOnThePathIsRefused() throws Exception {
        Path open = Files.createDirectory(dir.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        KernelException e = assertThrows(KernelException.class,
                () -> HAL.mountFuse("halmount", open.resolve("sub/dev").toString(), false));
        assertEquals(Errno.EACCES, e.errno());
        assertTrue(e.getMessage().contains(open + " is writable by other users"), e.getMessage());
        assertEquals(Optional.empty(), FuseMounts.mountedType(open.resolve("sub/dev").toString()));
    }

    @Test
    void aFolderOfAnotherUserOnThePathIsRefused() throws Exception {
        Path theirs = Files.createDirectory(dir.resolve("theirs"));
        sh("chown 65534:65534 " + theirs);
        KernelException e = assertThrows(KernelException.class,
                () -> HAL.mountFuse("halmount", theirs.resolve("dev").toString(), false));
        assertEquals(Errno.EACCES, e.errno());
        assertTrue(e.getMessage().contains(theirs + " belongs to user 65534"), e.getMessage());
    }

    @Test
    void aLinkOnThePathIsRefused() throws Exception {
        Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), elsewhere);
        KernelException e = assertThrows(KernelException.class,
                () -> HAL.mountFuse("halmount", link.resolve("dev").toString(), false));
        assertEquals(Errno.ENOTDIR, e.errno());
        assertTrue(e.getMessage().contains(link + " is a symbolic link"), e.getMessage());
        assertTrue(FuseMounts.mountedType(elsewhere.resolve("dev").toString()).isEmpty(), "mounted through the link");
    }

    /** Something else mounted where ours was (ours detached by hand): the stop leaves it alone. */
    @Test
    void theStopDetachesOnlyWhatIsStillOurMount() throws Exception {
        Path mnt = dir.resolve("dev");
        FuseChannel c = HAL.mountFuse("halmount", mnt.toString(), false);
        sh("umount -l " + mnt + " && mount -t tmpfs halmount-other " + mnt);
        assertEquals(Optional.of("tmpfs"), FuseMounts.mountedType(mnt.toString()));
        c.close();
        assertEquals(Optional.of("tmpfs"), FuseMounts.mountedType(mnt.toString()), "the stop detached a mount not its own");
    }
}
