package org.devhost.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The supervision policy file as README.md, ARCHITECTURE.md and WRITING-DRIVERS.md name it,
 * {@code conf/org.devhost.supervision-NAME.cfg} with {@code module=NAME} in it, in a real
 * {@code ./devhost}: the policies in such files take effect, each for its module or as the
 * defaults ({@code module=*}), with their own values, and a change of a file while the host runs
 * takes effect too. FileInstall (3.7.4) reads only {@code -} as the separator of a factory
 * configuration's name: a file named with {@code ~} (what the docs said before) becomes a plain
 * configuration of PID {@code org.devhost.supervision~NAME}, which nothing reads, so it is ignored
 * without a word; the test keeps one beside the others to show it.
 *
 * <p>Each state is waited for by asking again ({@code dev:modinfo}), bounded, and each is one that
 * only the policy under test can produce: with {@code module=*} saying {@code enabled=false},
 * faulty is supervised only once its own file (the one with the low fault threshold) is applied.
 */
class SupervisionPolicyFileIT {
    private static final String SUPERVISED = "\nstate:          live, supervised\n";
    private static final String NOT_SUPERVISED = "\nstate:          live, not supervised\n";

    @TempDir
    Path tmp;

    @Test
    void policyFilesInConfApplyAndSoDoTheirChanges() throws Exception {
        // conf/ as the launcher wants it (HostFolders): the user's own, writable by nobody else;
        // so is each file in it (DeployRules), or hot deploy refuses it
        Path conf = Files.createDirectory(tmp.resolve("conf"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path defaults = conf.resolve("org.devhost.supervision-all.cfg");
        write(defaults, "module=*\nenabled=false\n");
        write(conf.resolve("org.devhost.supervision-faulty.cfg"), "module=faulty\nfault.threshold=2\nfault.window.ms=60000\n");
        Path tilde = conf.resolve("org.devhost.supervision~scull.cfg");
        write(tilde, "module=scull\nenabled=true\n");

        try (HostSession host = new HostSession(tmp, HostSession.ROOT, "devhost.devfs=off")) {
            // FileInstall reads conf/ just after the drivers start: the policies come a moment later
            until(host, "dev:modinfo rust_minimal", o -> o.contains(NOT_SUPERVISED)); // module=*
            until(host, "dev:modinfo faulty", o -> o.contains(SUPERVISED)); // its own file
            // the "~" file was read too, and the deploy guard handed it to Configuration Admin ...
            until(host, "dev:dmesg", o -> o.contains("hot deploy applied " + tilde));
            // ... as a plain configuration that nothing reads: scull has module=*'s policy
            String scull = host.run("dev:modinfo scull");
            assertTrue(scull.contains(NOT_SUPERVISED), "a ~ file is ignored: " + scull);

            // faulty's own values: two faults within a minute are a crash (the default is five in 10 s)
            host.run("dev:rmmod faulty");
            String loaded = host.run("dev:insmod " + jar("faulty") + " fault=oops");
            assertTrue(loaded.startsWith("faulty: loaded (bundle "), loaded);
            for (int i = 0; i < 2; i++) {
                String failed = host.run("dev:write faulty oops");
                assertTrue(failed.contains("driver faulty failed (NullPointerException): Input/output error (EIO)"), failed);
            }
            String crashed = until(host, "dev:modinfo faulty", o -> o.contains("\nrestarts:       1\n"));
            assertTrue(crashed.contains(": 2 faults within 60000 ms (last: write threw NullPointerException)\n"), crashed);

            // a file changed while the host runs: the defaults supervise every module again
            write(defaults, "module=*\nenabled=true\n");
            until(host, "dev:modinfo rust_minimal", o -> o.contains(SUPERVISED));
            assertEquals(0, host.exit(), host.output());
        }
    }

    /** A file written whole and moved into place, as FileInstall must see it: owned by us, mode 0600. */
    private static void write(Path file, String text) throws Exception {
        Path part = Files.createTempFile(file.getParent().getParent(), "part", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(part, text);
        Files.move(part, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String until(HostSession host, String command, Predicate<String> done) throws Exception {
        return host.until(command, done);
    }

    private static String jar(String driver) throws Exception {
        return HostSession.driverJar(driver);
    }
}
