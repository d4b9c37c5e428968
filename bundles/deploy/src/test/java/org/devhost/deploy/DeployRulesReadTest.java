package org.devhost.deploy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the guard installs is what it checked: {@link DeployRules#read} on real files. */
class DeployRulesReadTest {
    @TempDir
    Path root;
    private Path deploy;
    private Path conf;
    private DeployRules rules;

    @BeforeEach
    void folders() throws Exception {
        deploy = Files.createDirectory(root.resolve("deploy"));
        conf = Files.createDirectory(root.resolve("conf"));
        Files.setPosixFilePermissions(deploy, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rwx------"));
        rules = new DeployRules(deploy, conf, System.getProperty("user.name"));
    }

    @Test
    void anAcceptedFileGivesItsBytes() throws Exception {
        Path cfg = Files.writeString(conf.resolve("scull.cfg"), "scull_quantum=8\n");
        Files.setPosixFilePermissions(cfg, PosixFilePermissions.fromString("rw-------"));
        assertArrayEquals("scull_quantum=8\n".getBytes(), rules.read(cfg));
    }

    @Test
    void eachReadChecksAgainSoAFileLoosenedAfterItsFirstReadIsRefused() throws Exception {
        Path cfg = Files.writeString(conf.resolve("hostdev.cfg"), "nodes=\n");
        Files.setPosixFilePermissions(cfg, PosixFilePermissions.fromString("rw-r--r--"));
        rules.read(cfg);
        Files.setPosixFilePermissions(cfg, PosixFilePermissions.fromString("rw-rw-rw-"));
        Files.writeString(cfg, "nodes=host_mem=/dev/mem\n");
        DeployRules.Refused r = assertThrows(DeployRules.Refused.class, () -> rules.read(cfg));
        assertTrue(r.getMessage().contains("the file " + cfg + " is writable by every user (chmod o-w"), r.getMessage());
    }

    @Test
    void aLinkAFifoAndAMissingFileAreRefusedNotOpened() throws Exception {
        Path good = Files.writeString(root.resolve("good.jar"), "x");
        Path link = Files.createSymbolicLink(deploy.resolve("link.jar"), good);
        assertTrue(assertThrows(DeployRules.Refused.class, () -> rules.read(link)).getMessage().contains("symbolic link"));
        Path fifo = deploy.resolve("fifo.jar");
        Process p = new ProcessBuilder("mkfifo", "-m", "644", fifo.toString()).start();
        assertTrue(p.waitFor() == 0, "mkfifo");
        // a FIFO would block the open until a writer comes; it is refused from its state first
        assertTrue(assertThrows(DeployRules.Refused.class, () -> rules.read(fifo)).getMessage().contains("not a regular file"));
        assertTrue(assertThrows(DeployRules.Refused.class, () -> rules.read(deploy.resolve("gone.jar")))
                .getMessage().contains("cannot be checked"));
    }
}
