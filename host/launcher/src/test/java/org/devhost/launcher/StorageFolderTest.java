package org.devhost.launcher;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host empties only a storage folder that is its own. */
class StorageFolderTest {
    @TempDir
    Path root;

    @Test
    void aNewFolderIsMadeAndMarked() throws Exception {
        Path cache = root.resolve("a/cache");
        StorageFolder.prepare(cache);
        assertTrue(Files.isRegularFile(cache.resolve(StorageFolder.MARKER)));
    }

    @Test
    void aMarkedFolderIsEmptiedAtTheNextStartButLinksOutOfItAreNotFollowed() throws Exception {
        Path cache = root.resolve("cache");
        StorageFolder.prepare(cache);
        Path outside = Files.createDirectory(root.resolve("precious"));
        Files.writeString(outside.resolve("keep.txt"), "mine");
        Files.createDirectories(cache.resolve("bundle1/version0.0"));
        Files.writeString(cache.resolve("bundle1/version0.0/bundle.jar"), "x");
        Files.createSymbolicLink(cache.resolve("link"), outside);
        StorageFolder.prepare(cache);
        assertFalse(Files.exists(cache.resolve("bundle1")));
        assertFalse(Files.exists(cache.resolve("link"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
        assertTrue(Files.isRegularFile(outside.resolve("keep.txt")), "what a link pointed at is untouched");
        assertTrue(Files.isRegularFile(cache.resolve(StorageFolder.MARKER)));
    }

    @Test
    void aFolderWithSomeoneElsesFilesIsRefusedAndLeftAlone() throws Exception {
        Path home = Files.createDirectory(root.resolve("home"));
        Files.writeString(home.resolve(".bashrc"), "alias ll='ls -l'");
        IOException e = assertThrows(IOException.class, () -> StorageFolder.prepare(home));
        assertTrue(e.getMessage().contains("is not empty and was not made by devhost"), e.getMessage());
        assertTrue(Files.isRegularFile(home.resolve(".bashrc")));
    }

    @Test
    void aMarkThatIsALinkIsNoMark() throws Exception {
        Path cache = Files.createDirectory(root.resolve("linked"));
        Files.writeString(cache.resolve("data"), "someone's");
        Path elsewhere = Files.writeString(root.resolve("mark"), "x");
        Files.createSymbolicLink(cache.resolve(StorageFolder.MARKER), elsewhere);
        assertThrows(IOException.class, () -> StorageFolder.prepare(cache));
        assertTrue(Files.isRegularFile(cache.resolve("data")));
    }

    @Test
    void anEmptyFolderIsTakenAndALinkOrAFileIsRefused() throws Exception {
        Path empty = Files.createDirectory(root.resolve("empty"));
        StorageFolder.prepare(empty);
        assertTrue(Files.isRegularFile(empty.resolve(StorageFolder.MARKER)));
        Path link = Files.createSymbolicLink(root.resolve("link"), empty);
        assertThrows(IOException.class, () -> StorageFolder.prepare(link));
        Path file = Files.writeString(root.resolve("file"), "x");
        assertThrows(IOException.class, () -> StorageFolder.prepare(file));
    }
}
