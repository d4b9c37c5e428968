package org.devhost.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What hot deploy may load, on real folders and files. */
class DeployRulesTest {
    @TempDir
    Path root;
    private Path deploy;
    private Path conf;
    private DeployRules rules;

    @BeforeEach
    void folders() throws Exception {
        deploy = Files.createDirectory(root.resolve("deploy"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        conf = Files.createDirectory(root.resolve("conf"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.setPosixFilePermissions(deploy, PosixFilePermissions.fromString("rwxr-xr-x"));
        rules = new DeployRules(deploy, conf, System.getProperty("user.name"));
    }

    private static Path file(Path dir, String name, String perms) throws Exception {
        Path f = Files.writeString(dir.resolve(name), "x");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(perms));
        return f;
    }

    @Test
    void ownFilesInTheirOwnFolderLoad() throws Exception {
        assertEquals(Optional.empty(), rules.refusal(file(deploy, "driver.jar", "rw-r--r--")));
        assertEquals(Optional.empty(), rules.refusal(file(conf, "hostdev.cfg", "rw-------")));
    }

    @Test
    void jarsAndConfigurationsStayApart() throws Exception {
        assertTrue(rules.refusal(file(deploy, "hal.cfg", "rw-r--r--")).orElseThrow().contains("configuration folder " + conf + " only"));
        assertTrue(rules.refusal(file(conf, "driver.jar", "rw-r--r--")).orElseThrow().contains("deploy folder " + deploy + " only"));
    }

    @Test
    void aLinkEvenToAGoodFileAndAFileOfAnotherFolderAreRefused() throws Exception {
        Path good = file(root, "good.jar", "rw-r--r--");
        Path link = Files.createSymbolicLink(deploy.resolve("link.jar"), good);
        assertTrue(rules.refusal(link).orElseThrow().contains("it is a symbolic link"));
        assertTrue(rules.refusal(good).orElseThrow().contains("a driver jar loads from the deploy folder"));
        Path other = Files.createDirectory(root.resolve("other"));
        assertTrue(rules.refusal(file(other, "notes.txt", "rw-r--r--")).orElseThrow().startsWith("hot deploy loads only from"));
    }

    @Test
    void aFileOthersCanWriteIsRefused() throws Exception {
        assertTrue(rules.refusal(file(deploy, "g.jar", "rw-rw-r--")).orElseThrow().contains("writable by its group (chmod g-w"));
        assertTrue(rules.refusal(file(deploy, "o.jar", "rw-r--rw-")).orElseThrow().contains("writable by every user (chmod o-w"));
    }

    @Test
    void aFolderOthersCanWriteRefusesEverythingInIt() throws Exception {
        Path ok = file(deploy, "driver.jar", "rw-r--r--");
        Files.setPosixFilePermissions(deploy, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertTrue(rules.refusal(ok).orElseThrow().startsWith("its folder " + deploy + " is writable by every user"));
    }

    private static UserPrincipal nobody(Path anywhere) throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "giving a file to another user needs root; skipped");
        return anywhere.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
    }

    @Test
    void aFileOfAnotherUserIsRefusedForItsOwner() throws Exception {
        UserPrincipal nobody = nobody(root);
        Path theirs = file(deploy, "theirs.jar", "rw-r--r--"); // a regular file, in its folder, not writable by others
        Files.setOwner(theirs, nobody);
        assertEquals(Optional.of("the file " + theirs + " is owned by nobody, not by root, the user the host runs as"),
                rules.refusal(theirs));
        Path cfg = file(conf, "theirs.cfg", "rw-------");
        Files.setOwner(cfg, nobody);
        assertEquals(Optional.of("the file " + cfg + " is owned by nobody, not by root, the user the host runs as"),
                rules.refusal(cfg));
    }

    @Test
    void aFolderOfAnotherUserRefusesTheHostUsersOwnFilesInIt() throws Exception {
        UserPrincipal nobody = nobody(root);
        Path mine = file(deploy, "mine.jar", "rw-r--r--");
        Files.setOwner(deploy, nobody);
        assertEquals(Optional.of("its folder " + deploy + " is owned by nobody, not by root, the user the host runs as"),
                rules.refusal(mine));
    }

    @Test
    void aLinkOfTheHostUserToAFileOfAnotherUserIsRefusedAsALink() throws Exception {
        UserPrincipal nobody = nobody(root);
        Path theirs = file(root, "theirs.jar", "rw-r--r--");
        Files.setOwner(theirs, nobody);
        // the link is root's, in root's folder: the owner check reads the link, not its target, so
        // the reason the user gets must be the link rule's (copy the file), not the owner's
        Path link = Files.createSymbolicLink(deploy.resolve("link.jar"), theirs);
        assertEquals(Optional.of("it is a symbolic link; copy the file itself into " + deploy), rules.refusal(link));
    }
}
