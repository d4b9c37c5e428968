package org.devhost.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Debian package the build makes ({@code host/launcher/target/devhost_*.deb}): its control
 * data and layout by the FHS, lintian's verdict, the systemd unit as systemd reads it, and the
 * installed tree, unpacked with {@code dpkg-deb -x}, running the host with the package's
 * configuration file. PID 1 here is not systemd, so the unit is verified, not started.
 */
class DebianPackageIT {
    private static final Path ROOT = Path.of(System.getProperty("devhost.root", "..")).toAbsolutePath().normalize();
    private static final long BOUND_SECONDS = 120;

    @TempDir
    Path tmp;

    private record Result(int code, String output) {}

    private static Result run(Path dir, String stdin, List<String> command, String... env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        for (int i = 0; i < env.length; i += 2) {
            pb.environment().put(env[i], env[i + 1]);
        }
        Process p = pb.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Drain drained = Drain.of(p.getInputStream(), out);
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        if (!p.waitFor(BOUND_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command + " did not finish within " + BOUND_SECONDS + " s:\n" + out);
        }
        drained.get(10, TimeUnit.SECONDS);
        return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8));
    }

    private static Path deb() throws IOException {
        try (Stream<Path> s = Files.list(ROOT.resolve("host/launcher/target"))) {
            return s.filter(p -> p.getFileName().toString().matches("devhost_.*_amd64\\.deb")).findFirst()
                    .orElseThrow(() -> new AssertionError("the build made no devhost_*_amd64.deb in host/launcher/target"));
        }
    }


    @Test
    void thePackageSaysWhatItNeedsAndLaysItsFilesOutByTheFhs() throws Exception {
        Needs.that(Needs.onPath("dpkg-deb"), "no dpkg-deb (apt-get install dpkg)");
        Result info = run(tmp, "", List.of("dpkg-deb", "-I", deb().toString()));
        assertEquals(0, info.code(), info.output());
        assertTrue(info.output().contains(" Package: devhost\n"), info.output());
        assertTrue(info.output().contains(" Depends: default-jre-headless (>= 2:1.17) | java17-runtime-headless, fuse3\n"),
                "a Java runtime 17 or later, and fuse3: " + info.output());
        Result conffiles = run(tmp, "", List.of("dpkg-deb", "-I", deb().toString(), "conffiles"));
        assertEquals("/etc/devhost/devhost.properties\n", conffiles.output(), "an upgrade keeps the configuration");

        Result contents = run(tmp, "", List.of("dpkg-deb", "-c", deb().toString()));
        assertEquals(0, contents.code(), contents.output());
        for (String entry : List.of("-rwxr-xr-x root/root .* ./usr/bin/devhost", "-rw-r--r-- root/root .* ./usr/lib/devhost/lib/devhost.jar",
                "-rw-r--r-- root/root .* ./usr/lib/devhost/bundle/org.devhost.kernel-.*\\.jar", "-rw-r--r-- root/root .* ./etc/devhost/devhost.properties",
                "drwxr-xr-x root/root .* ./etc/devhost/conf/", "drwxr-xr-x root/root .* ./var/lib/devhost/deploy/",
                "drwx------ root/root .* ./var/cache/devhost/", "-rw-r--r-- root/root .* ./lib/systemd/system/devhost.service",
                "-rw-r--r-- root/root .* ./usr/share/doc/devhost/copyright", "-rw-r--r-- root/root .* ./usr/share/doc/devhost/changelog.gz")) {
            assertTrue(contents.output().lines().anyMatch(l -> l.matches(entry)), entry + " in:\n" + contents.output());
        }
    }

    /** Beside the package, the distribution as a plain archive, for machines without dpkg. */
    @Test
    void theDistributionIsAlsoAPlainArchive() throws Exception {
        Path archive = ROOT.resolve("host/launcher/target/devhost-0.1.0-SNAPSHOT.tar.gz");
        Result r = run(tmp, "", List.of("tar", "tzf", archive.toString()));
        assertEquals(0, r.code(), r.output());
        for (String entry : List.of("devhost/lib/devhost.jar", "devhost/lib/org.apache.felix.framework.jar", "devhost/etc/gosh_profile")) {
            assertTrue(r.output().lines().anyMatch(entry::equals), entry + " in:\n" + r.output());
        }
    }

    /** No lintian error; the warnings it gives are the ones ARCHITECTURE.md section 13 names and explains. */
    @Test
    void lintianFindsNoError() throws Exception {
        Needs.that(Needs.onPath("lintian"), "no lintian (apt-get install lintian)");
        Result r = run(tmp, "", List.of("lintian", "--tag-display-limit", "0", deb().toString()));
        List<String> errors = r.output().lines().filter(l -> l.startsWith("E: ")).toList();
        assertEquals(List.of(), errors, r.output());
        List<String> explained = List.of("W: devhost: jar-not-in-usr-share \\[usr/lib/devhost/.*\\.jar\\]",
                "W: devhost: no-manual-page \\[usr/bin/devhost\\]", "W: devhost: non-standard-dir-perm 0700 != 0755 \\[var/cache/devhost/\\]",
                "W: devhost: unknown-java-class-version .*");
        List<String> unexplained = r.output().lines().filter(l -> l.startsWith("W: "))
                .filter(l -> explained.stream().noneMatch(l::matches)).toList();
        assertEquals(List.of(), unexplained, "a lintian warning not named in ARCHITECTURE.md: " + r.output());
    }

    /**
     * The unit as systemd reads it ({@code systemd-analyze verify}): not a word to say, with its
     * command pointed into the unpacked tree (verify checks that the program exists).
     */
    @Test
    void systemdReadsTheUnitWithoutAWord() throws Exception {
        Needs.that(Needs.onPath("systemd-analyze"), "no systemd-analyze (apt-get install systemd)");
        Path root = unpack();
        String unit = Files.readString(root.resolve("lib/systemd/system/devhost.service"));
        assertTrue(unit.contains("ExecStart=/usr/bin/devhost --no-shell\n"), unit);
        Path copy = Files.createDirectories(tmp.resolve("units")).resolve("devhost.service");
        Files.writeString(copy, unit.replace("/usr/bin/devhost", root.resolve("usr/bin/devhost").toString()));
        Result r = run(tmp, "", List.of("systemd-analyze", "verify", copy.toString()));
        assertEquals(new Result(0, ""), r);
    }

    /**
     * The installed tree runs the host: the package's folders by default, {@code
     * /etc/devhost/devhost.properties} after them, the command line last (DEVHOST_HOME and
     * DEVHOST_ETC point at the unpacked tree; the folders the service writes, at this test's).
     */
    @Test
    void theInstalledTreeRunsTheHostWithItsConfigurationFile() throws Exception {
        Path root = unpack();
        Path etc = root.resolve("etc/devhost");
        Files.writeString(etc.resolve("devhost.properties"), Files.readString(etc.resolve("devhost.properties"))
                + "devhost.itest.word=from-etc\n  # an indented comment\ndevhost.itest.other=also-from-etc\n");
        List<String> cmd = new ArrayList<>(List.of(root.resolve("usr/bin/devhost").toString(), "org.osgi.framework.storage=" + tmp.resolve("cache"),
                "devhost.deploy=" + tmp.resolve("deploy"), "devhost.devfs=off", "devhost.admin.socket=" + tmp.resolve("admin.sock")));
        String[] env = {"DEVHOST_HOME", root.resolve("usr/lib/devhost").toString(), "DEVHOST_ETC", etc.toString()};
        Result r = run(tmp, "($.context) getProperty devhost.itest.word\n($.context) getProperty devhost.itest.other\n"
                + "($.context) getProperty devhost.conf\ndev:lsmod\n", listOf(cmd, "devhost.itest.word=from-the-command-line"), env);
        assertEquals(0, r.code(), r.output());
        assertTrue(r.output().contains("g! from-the-command-line\n"), "the command line wins: " + r.output());
        assertTrue(r.output().contains("g! also-from-etc\n"), "the configuration file is read: " + r.output());
        assertTrue(r.output().contains("g! " + etc.resolve("conf") + "\n"), "conf/ is the package's: " + r.output());
        assertTrue(r.output().matches("(?s).*\nscull +\\d+  live +0  0.*"), "the drivers run: " + r.output());
    }

    /** {@code devhost shell} and {@code devhost dev:CMD} reach the running service's shell (AdminSocketIT checks the shell itself). */
    @Test
    void theCommandWithAShellCommandTalksToTheRunningService() throws Exception {
        Path root = unpack();
        String[] env = {"DEVHOST_HOME", root.resolve("usr/lib/devhost").toString(), "DEVHOST_ETC", root.resolve("etc/devhost").toString(),
            "DEVHOST_ADMIN_SOCKET", tmp.resolve("nobody-listens.sock").toString()};
        for (List<String> cmd : List.of(List.of(root.resolve("usr/bin/devhost").toString(), "dev:lsmod"),
                List.of(root.resolve("usr/bin/devhost").toString(), "shell"))) {
            Result r = run(tmp, "", cmd, env);
            assertEquals(2, r.code(), r.output());
            assertTrue(r.output().startsWith("devhost: cannot reach the running host's shell at " + tmp.resolve("nobody-listens.sock")),
                    cmd + ": " + r.output());
        }
    }

    private static List<String> listOf(List<String> first, String... more) {
        List<String> all = new ArrayList<>(first);
        all.addAll(List.of(more));
        return all;
    }

    private Path unpack() throws Exception {
        Needs.that(Needs.onPath("dpkg-deb"), "no dpkg-deb (apt-get install dpkg)");
        Path root = tmp.resolve("root");
        Result r = run(tmp, "", List.of("dpkg-deb", "-x", deb().toString(), root.toString()));
        assertEquals(0, r.code(), r.output());
        return root;
    }
}
