package org.devhost.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The framework storage holds the bundle revisions the framework loads (again at every refresh),
 * so it follows the rule of deploy/ and conf/: the host user's alone, or refused with what to do.
 * Emptying it never follows a link, however deep.
 */
class StorageFolderOwnerTest {
    private static final String ME = System.getProperty("user.name");

    @TempDir
    Path root;

    private static String perms(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    private static void chownToNobody(Path p) throws IOException {
        UserPrincipal nobody = p.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
        Files.setOwner(p, nobody);
    }

    @Test
    void anEmptyFolderOfAnotherUserIsRefused() throws Exception {
        Path cache = Files.createDirectory(root.resolve("cache"));
        IOException e = assertThrows(IOException.class, () -> StorageFolder.prepare(cache, "someone-else"));
        assertTrue(e.getMessage().contains("the framework storage " + cache + " is owned by " + ME + ", not by someone-else"),
                e.getMessage());
        assertTrue(e.getMessage().contains("chown someone-else " + cache), e.getMessage());
        assertFalse(Files.exists(cache.resolve(StorageFolder.MARKER)), "nothing is written into it");
    }

    @Test
    void aMarkedOrEmptyFolderOwnedByNobodyIsRefusedAsRootAndLeftAlone() throws Exception {
        assumeTrue("root".equals(ME), "chown to nobody needs root");
        Path empty = Files.createDirectory(root.resolve("empty"));
        chownToNobody(empty);
        IOException e = assertThrows(IOException.class, () -> StorageFolder.prepare(empty));
        assertTrue(e.getMessage().contains("is owned by nobody, not by root, the user the host runs as"), e.getMessage());
        assertFalse(Files.exists(empty.resolve(StorageFolder.MARKER)));

        // marked by an earlier host, then handed to another user who put a bundle revision there
        Path marked = Files.createDirectory(root.resolve("marked"));
        StorageFolder.prepare(marked);
        Path revision = Files.createDirectories(marked.resolve("bundle7/version0.1"));
        Files.writeString(revision.resolve("bundle.jar"), "someone else's code");
        chownToNobody(marked);
        assertThrows(IOException.class, () -> StorageFolder.prepare(marked));
        assertEquals("someone else's code", Files.readString(revision.resolve("bundle.jar")), "refused before touching it");
    }

    @Test
    void aFolderOthersCanWriteIsRefusedWithTheFix() throws Exception {
        Path world = Files.createDirectory(root.resolve("world"));
        StorageFolder.prepare(world);
        Files.setPosixFilePermissions(world, PosixFilePermissions.fromString("rwxrwxrwx"));
        IOException e = assertThrows(IOException.class, () -> StorageFolder.prepare(world));
        assertTrue(e.getMessage().contains(world + " is writable by every user (chmod o-w " + world + ")"), e.getMessage());

        Path group = Files.createDirectory(root.resolve("group"));
        Files.setPosixFilePermissions(group, PosixFilePermissions.fromString("rwxrwx---"));
        e = assertThrows(IOException.class, () -> StorageFolder.prepare(group));
        assertTrue(e.getMessage().contains(group + " is writable by its group (chmod g-w " + group + ")"), e.getMessage());
        assertFalse(Files.exists(group.resolve(StorageFolder.MARKER)));
    }

    @Test
    void theStorageIsTheUsersAloneOnceMade() throws Exception {
        Path made = root.resolve("a/cache");
        StorageFolder.prepare(made);
        assertEquals("rwx------", perms(made));
        assertEquals("rw-------", perms(made.resolve(StorageFolder.MARKER)));
        Path readable = Files.createDirectory(root.resolve("readable"));
        Files.setPosixFilePermissions(readable, PosixFilePermissions.fromString("rwxr-xr-x"));
        StorageFolder.prepare(readable);
        assertEquals("rwx------", perms(readable), "an empty folder of the user's is taken and closed to others");
    }

    @Test
    void linksDeepInsideAreRemovedNeverFollowed() throws Exception {
        Path precious = Files.createDirectory(root.resolve("precious"));
        Files.writeString(precious.resolve("keep.txt"), "mine");
        Files.createDirectory(precious.resolve("sub"));
        Files.writeString(precious.resolve("sub/keep2.txt"), "mine too");
        Path cache = root.resolve("cache");
        StorageFolder.prepare(cache);
        Path deep = Files.createDirectories(cache.resolve("bundle1/version0.0/data"));
        Files.createSymbolicLink(deep.resolve("dir-link"), precious);
        Files.createSymbolicLink(deep.resolve("file-link"), precious.resolve("keep.txt"));
        Files.createSymbolicLink(cache.resolve("bundle2"), precious.resolve("sub"));
        Files.createSymbolicLink(deep.resolve("dangling"), root.resolve("nothing-here"));

        StorageFolder.prepare(cache);

        try (var left = Files.list(cache)) {
            assertEquals(java.util.List.of(cache.resolve(StorageFolder.MARKER)), left.toList());
        }
        assertEquals("mine", Files.readString(precious.resolve("keep.txt")));
        assertEquals("mine too", Files.readString(precious.resolve("sub/keep2.txt")));
    }
}
