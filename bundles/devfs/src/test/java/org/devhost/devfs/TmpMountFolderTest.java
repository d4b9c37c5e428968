package org.devhost.devfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Without XDG_RUNTIME_DIR a host that is not root mounts under /tmp/devhost-UID, a name any user
 * can guess and make first. The folder is the host user's alone: made rwx------ when missing, and
 * refused with the errno and what to do when it is a link, another user's, or open to others.
 * The rule on a temporary folder standing for /tmp (as root for the other user's folder).
 */
class TmpMountFolderTest {
    private static final int ME = uid();

    @TempDir
    Path tmp;

    private static int uid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aMissingFolderIsMadeForTheUserAlone() throws Exception {
        Path dir = tmp.resolve("devhost-" + ME);
        assertEquals(dir, Devfs.tmpMountFolder(dir, ME));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS)));
        assertEquals(ME, Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS));
        assertEquals(dir, Devfs.tmpMountFolder(dir, ME), "and is taken again at the next start");
    }

    @Test
    void aFolderOthersMayEnterIsRefused() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("devhost-" + ME));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-x---"));
        KernelException e = assertThrows(KernelException.class, () -> Devfs.tmpMountFolder(dir, ME));
        assertEquals(Errno.EACCES, e.errno());
        assertTrue(e.getMessage().contains(dir + " is open to other users (mode 750); chmod 700 " + dir), e.getMessage());
    }

    @Test
    void aLinkIsRefusedNotFollowed() throws Exception {
        Path elsewhere = Files.createDirectory(tmp.resolve("elsewhere"));
        Files.setPosixFilePermissions(elsewhere, PosixFilePermissions.fromString("rwx------"));
        Path link = Files.createSymbolicLink(tmp.resolve("devhost-" + ME), elsewhere);
        KernelException e = assertThrows(KernelException.class, () -> Devfs.tmpMountFolder(link, ME));
        assertEquals(Errno.ELOOP, e.errno());
        assertTrue(e.getMessage().contains(link + " is a symbolic link"), e.getMessage());
        Path file = Files.writeString(tmp.resolve("devhost-file"), "x");
        assertEquals(Errno.ENOTDIR, assertThrows(KernelException.class, () -> Devfs.tmpMountFolder(file, ME)).errno());
    }

    @Test
    void aFolderOfAnotherUserIsRefused() throws Exception {
        assumeTrue(ME == 0, "making a folder another user's needs root; skipping");
        // as if nobody (65534) made /tmp/devhost-0 first, closed to everyone else
        Path theirs = Files.createDirectory(tmp.resolve("devhost-0"));
        Files.setPosixFilePermissions(theirs, PosixFilePermissions.fromString("rwx------"));
        Files.setAttribute(theirs, "unix:uid", 65534, LinkOption.NOFOLLOW_LINKS);
        KernelException e = assertThrows(KernelException.class, () -> Devfs.tmpMountFolder(theirs, 0));
        assertEquals(Errno.EACCES, e.errno());
        assertTrue(e.getMessage().contains(theirs + " belongs to user 65534, not to this host's user (uid 0)"), e.getMessage());
        // and the other way round: nobody's host finds root's folder
        Path roots = Files.createDirectory(tmp.resolve("devhost-65534"));
        Files.setPosixFilePermissions(roots, PosixFilePermissions.fromString("rwx------"));
        assertEquals(Errno.EACCES, assertThrows(KernelException.class, () -> Devfs.tmpMountFolder(roots, 65534)).errno());
    }
}
