package org.devhost.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hot deploy runs only from folders that are the host user's alone. */
class HostFoldersTest {
    private static final String ME = System.getProperty("user.name");

    @TempDir
    Path root;

    @Test
    void aMissingFolderIsMadeForTheUserAlone() throws Exception {
        Path deploy = root.resolve("deploy");
        assertEquals(Optional.empty(), HostFolders.prepare(deploy, ME));
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(deploy)));
    }

    @Test
    void aFolderOthersCanWriteTurnsHotDeployOff() throws Exception {
        Path world = Files.createDirectory(root.resolve("world"));
        Files.setPosixFilePermissions(world, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertTrue(HostFolders.prepare(world, ME).orElseThrow().contains("writable by every user (chmod o-w"));
        Path group = Files.createDirectory(root.resolve("group"));
        Files.setPosixFilePermissions(group, PosixFilePermissions.fromString("rwxrwxr-x"));
        assertTrue(HostFolders.prepare(group, ME).orElseThrow().contains("writable by its group"));
    }

    @Test
    void aFolderOfAnotherUserALinkOrARelativePathIsRefused() throws Exception {
        Path mine = Files.createDirectory(root.resolve("mine"));
        assertTrue(HostFolders.prepare(mine, "someone-else").orElseThrow().contains("is owned by " + ME + ", not by someone-else"));
        Path link = Files.createSymbolicLink(root.resolve("link"), mine);
        assertTrue(HostFolders.prepare(link, ME).orElseThrow().contains("is a symbolic link"));
        assertTrue(HostFolders.prepare(Path.of("deploy"), ME).orElseThrow().contains("not an absolute path"));
    }
}
