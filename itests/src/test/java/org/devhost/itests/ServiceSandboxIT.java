package org.devhost.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Debian package under a real systemd, with the unit's sandboxing options in force. PID 1 here
 * is not systemd, so the test boots one: this machine's own root, read-only under an overlay whose
 * upper layer is a tmpfs, in a mount namespace of the test's own ({@code unshare -m}), booted by
 * {@code systemd-nspawn -b} to {@code basic.target} (none of the machine's other services start)
 * with only a loopback network and {@code /dev/fuse} given in. No download: the machine's systemd,
 * Java and fuse3 are the booted system's. Inside, as an administrator would: {@code dpkg -i} the
 * package, {@code systemctl enable --now devhost}.
 *
 * <p>Then (a) the service is READY and serves: active, its STATUS line, devfs mounted where every
 * other program sees it (the system's mount namespace, not one of the service's own) and a device
 * read through it, the admin shell answering {@code dev:lsmod}; (b) each sandboxing option has its
 * effect, seen from inside the service: a probe script that the service's own JVM starts (through
 * the admin shell's Gogo, so it inherits everything the unit gave the service) tries what each
 * option forbids, and the same script run by root beside the service shows each try succeeds
 * without it; (c) the README's drop-in for running as a user of its own brings the host up with
 * devfs mounted by {@code fusermount3}. The unit's sandboxing lines must be exactly the ones this
 * test checks. Stopping: {@code SIGTERM} to nspawn powers the container off; every mount lived only
 * in the test's mount namespace, which ends with it.
 */
class ServiceSandboxIT {
    private static final Path ROOT = Path.of(System.getProperty("devhost.root", "..")).toAbsolutePath().normalize();
    /** A bound against a broken build or a hung boot, never a timing the test relies on. */
    private static final long BOUND_SECONDS = 240;
    /** The unit's sandboxing options, each checked below. */
    private static final List<String> OPTIONS = List.of("NoNewPrivileges=yes", "RestrictSUIDSGID=yes", "LockPersonality=yes",
            "RestrictRealtime=yes", "RestrictNamespaces=yes", "ProtectHostname=yes", "SystemCallArchitectures=native");
    /** Unit settings that sandbox a service (systemd.exec(5)); any of them in the unit must be in {@link #OPTIONS}. */
    private static final String SANDBOXING = "(Protect|Private|Restrict|NoNewPrivileges|LockPersonality|SystemCall|MemoryDeny|ReadWrite"
            + "|ReadOnly|Inaccessible|TemporaryFileSystem|BindPaths|BindReadOnlyPaths|Capability|AmbientCapabilities|Device|MountFlags"
            + "|RemoveIPC|KeyringMode|UMask|DynamicUser)[A-Za-z]*=.*";
    /** What the probe prints, one check a line, when nothing forbids anything. */
    private static final String UNRESTRICTED = "NoNewPrivs=0\nchmod-u+s=0\nsetarch-linux32=0\nchrt-fifo=0\nunshare-mount=0\nsethostname=0\n"
            + "i386-syscall=7\n";
    /** ... and what it must print from inside the service: each option's effect, in the order of {@link #OPTIONS}. */
    private static final String SANDBOXED = "NoNewPrivs=1\nchmod-u+s=1\nsetarch-linux32=1\nchrt-fifo=1\nunshare-mount=1\nsethostname=1\n"
            + "i386-syscall=159\n";
    private static final String PROBE = String.join("\n",
            "#!/bin/sh",
            "# each check one line, NAME=exit status; run by root beside the service, and by the service's JVM",
            "exec >\"$1\" 2>/dev/null",
            "echo \"NoNewPrivs=$(sed -n 's/^NoNewPrivs:[[:space:]]*//p' /proc/self/status)\"",
            "f=$(mktemp /run/devhost-it-suid.XXXXXX); chmod u+s \"$f\"; echo \"chmod-u+s=$?\"; rm -f \"$f\"   # RestrictSUIDSGID",
            "setarch linux32 true; echo \"setarch-linux32=$?\"                                                 # LockPersonality",
            "chrt -f 1 true; echo \"chrt-fifo=$?\"                                                             # RestrictRealtime",
            "unshare -m true; echo \"unshare-mount=$?\"                                                        # RestrictNamespaces",
            "hostname \"$(hostname)\"; echo \"sethostname=$?\"                                                 # ProtectHostname",
            "/mnt/devhost-it/exit7-i386; echo \"i386-syscall=$?\"                          # SystemCallArchitectures=native",
            "echo end", "");
    /**
     * The probe started by the service's own JVM, from its admin shell (Gogo calls public methods;
     * {@code waitFor} on the JDK's process class it cannot reach, so the test waits for the probe's
     * last line instead).
     */
    private static final String PROBE_FROM_THE_SERVICE = String.join("\n",
            "rt = ((($.context) getBundle) loadClass java.lang.Runtime) getRuntime",
            "$rt exec [/bin/sh /mnt/devhost-it/probe.sh /run/devhost/probe.out]", "");
    /** Mounts the overlay and the tmpfs folders in the test's own mount namespace, then becomes nspawn. */
    private static final String BOOT = String.join("\n",
            "set -eu",
            "w=\"$1\"; in=\"$2\"",
            "mount -t tmpfs -o mode=0755 devhost-it \"$w\"",
            "mkdir \"$w/upper\" \"$w/work\" \"$w/root\"",
            "mount -t overlay devhost-it -o lowerdir=/,upperdir=\"$w/upper\",workdir=\"$w/work\" \"$w/root\"",
            "mount -t tmpfs -o mode=0755 devhost-it-run /run   # nspawn's own state; nothing left on the machine's /run",
            "exec systemd-nspawn --register=no --keep-unit --quiet -M devhost-sandbox-it -D \"$w/root\" --private-network \\",
            "    --bind=/dev/fuse --bind-ro=\"$in:/mnt/devhost-it\" -b systemd.unit=basic.target");

    @TempDir
    Path tmp;

    private record Result(int code, String output) {}

    private long leader;
    private ByteArrayOutputStream console;
    private Drain consoleDrain;

    private static Result run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Drain drained = Drain.of(p.getInputStream(), out);
        if (!p.waitFor(BOUND_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command + " did not finish within " + BOUND_SECONDS + " s:\n" + out);
        }
        drained.get(10, TimeUnit.SECONDS);
        return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8));
    }

    /** A shell command inside the booted system, as root beside the service. */
    private Result in(String script) throws Exception {
        return run(List.of("nsenter", "-t", Long.toString(leader), "-m", "-u", "-i", "-n", "-p", "--", "/bin/sh", "-c", script));
    }

    /** As {@link #in}, asserting it succeeded; its output without the last newline. */
    private String ok(String script) throws Exception {
        Result r = in(script);
        assertEquals(0, r.code(), script + " in the container:\n" + r.output() + journal());
        return r.output().strip();
    }

    private String journal() throws Exception {
        return "\n-- the service's journal:\n" + in("journalctl -b -u devhost --no-pager -n 40").output()
                + "\n-- the container's console (last 2000 characters):\n" + tail(console.toString(StandardCharsets.UTF_8), 2000);
    }

    private static String tail(String s, int n) {
        return s.length() <= n ? s : s.substring(s.length() - n);
    }

    @Test
    void eachSandboxingOptionHoldsAndTheServiceStillServesItsDevicesUnderARealSystemd() throws Exception {
        // not installable, so skipped wherever missing, CI included (TESTING.md)
        assumeTrue("root".equals(System.getProperty("user.name")), "not root: booting a container with systemd-nspawn needs root");
        assumeTrue(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse: devfs cannot mount here");
        Needs.that(Needs.onPath("systemd-nspawn"), "no systemd-nspawn (apt-get install systemd-container)");
        Needs.that(Needs.onPath("unshare") && Needs.onPath("nsenter"), "no unshare or nsenter (apt-get install util-linux)");
        Needs.that(Files.isExecutable(Path.of("/usr/lib/systemd/systemd")) || Files.isExecutable(Path.of("/lib/systemd/systemd")),
                "no systemd on this machine's root to boot (apt-get install systemd)");
        // the container is this machine's root, so dpkg -i in there needs the package's dependencies here
        Needs.that(Needs.onPath("dpkg-query"), "no dpkg-query (apt-get install dpkg)");
        List<String> installed = run(List.of("dpkg-query", "-W", "-f", "${Package} ${db:Status-Status} ${Provides}\n")).output().lines()
                .filter(l -> l.matches("\\S+ installed.*")).toList();
        Needs.that(installed.stream().anyMatch(l -> l.startsWith("fuse3 ")) && installed.stream().anyMatch(l -> l.startsWith("default-jre-headless ")
                || l.matches(".*\\bjava17-runtime-headless\\b.*")), "the package's dependencies are not installed on this machine, whose root the "
                + "test boots (apt-get install default-jre-headless fuse3)");

        // the unit's sandboxing lines are exactly the ones checked here
        Path deb;
        try (Stream<Path> s = Files.list(ROOT.resolve("host/launcher/target"))) {
            deb = s.filter(p -> p.getFileName().toString().matches("devhost_.*_amd64\\.deb")).findFirst()
                    .orElseThrow(() -> new AssertionError("the build made no devhost_*_amd64.deb in host/launcher/target"));
        }
        String unit = Files.readString(ROOT.resolve("host/launcher/src/deb/systemd/devhost.service"));
        assertEquals(OPTIONS, unit.lines().filter(l -> l.matches(SANDBOXING)).toList(),
                "each sandboxing option in devhost.service is one this test checks");

        // what the container is given, read-only at /mnt/devhost-it: the package, the probe, and an
        // i386 program that ends with status 7 through the 32-bit system call exit (int 0x80)
        Path given = Files.createDirectories(tmp.resolve("in"));
        Files.copy(deb, given.resolve("devhost.deb"));
        Files.writeString(given.resolve("probe.sh"), PROBE);
        Files.writeString(given.resolve("probe.gogo"), PROBE_FROM_THE_SERVICE);
        Path i386 = given.resolve("exit7-i386");
        Files.write(i386, exit7i386());
        Files.setPosixFilePermissions(i386, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path work = Files.createDirectories(tmp.resolve("w"));

        long started = System.nanoTime();
        Process nspawn = new ProcessBuilder("unshare", "-m", "--propagation", "private", "bash", "-c", BOOT, "boot", work.toString(),
                given.toString()).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        console = new ByteArrayOutputStream();
        consoleDrain = Drain.of(nspawn.getInputStream(), console);
        Optional<ProcessHandle> init = Optional.empty();
        try {
            init = containerInit(nspawn);
            leader = init.orElseThrow().pid();
            // boot done (running, or degraded if one of the machine's own units fails in a container)
            Result boot = in("timeout " + BOUND_SECONDS + " systemctl is-system-running --wait");
            assertTrue(boot.output().strip().matches("running|degraded"), "the container booted: " + boot.output() + journal());
            System.out.printf("ServiceSandboxIT: systemd booted in the container in %d ms%n", (System.nanoTime() - started) / 1_000_000);

            ok("dpkg -i /mnt/devhost-it/devhost.deb");
            ok("systemctl enable --now devhost"); // Type=notify: returns once READY=1 came, or fails
            for (String option : OPTIONS) {
                String name = option.substring(0, option.indexOf('='));
                assertEquals(option, ok("systemctl show -p " + name + " devhost"), "systemd read " + option);
            }

            // (a) READY and serving, devfs where every program sees it
            serves("as root, sandboxed", "user_id=0,");
            String pid = ok("systemctl show -p MainPID --value devhost");
            assertEquals(ok("readlink /proc/1/ns/mnt"), ok("readlink /proc/" + pid + "/ns/mnt"),
                    "the service shares the system's mount namespace (devfs mounted in one of its own would be seen by no other program)");

            // (b) each option's effect, seen from inside the service, against the same probe run beside it
            assertEquals("NoNewPrivs:\t1", ok("grep NoNewPrivs /proc/" + pid + "/status"), "NoNewPrivileges: the service's own process");
            assertNotEquals(ok("readlink /proc/1/ns/uts"), ok("readlink /proc/" + pid + "/ns/uts"), "ProtectHostname: a UTS namespace of its own");
            assertEquals(UNRESTRICTED + "end", ok("sh /mnt/devhost-it/probe.sh /run/devhost-it-control.out; cat /run/devhost-it-control.out"),
                    "the probe, run by root beside the service, meets no restriction");
            ok("devhost shell < /mnt/devhost-it/probe.gogo");
            String fromService = ok("timeout " + BOUND_SECONDS + " sh -c 'until grep -qx end /run/devhost/probe.out; do sleep 0.05; done'"
                    + " 2>/dev/null; cat /run/devhost/probe.out");
            assertEquals(SANDBOXED + "end", fromService, "the probe, started by the service's JVM, meets each option");
            serves("as root, after the probe", "user_id=0,");

            // (c) the README's drop-in for a user of its own: the options off, devfs by fusermount3
            String dropIn = readmeDropIn();
            ok("useradd --system --no-create-home devhost && chown -R devhost: /var/cache/devhost /etc/devhost/conf"
                    + " && echo user_allow_other >> /etc/fuse.conf && echo devhost.devfs.allow_other=true >> /etc/devhost/devhost.properties"
                    + " && mkdir -p /etc/systemd/system/devhost.service.d && printf '%s' '" + dropIn + "' > /etc/systemd/system/devhost.service.d/user.conf"
                    + " && systemctl daemon-reload && systemctl restart devhost");
            String uid = ok("id -u devhost");
            serves("as the user devhost", "user_id=" + uid + ",");
            String userPid = ok("systemctl show -p MainPID --value devhost");
            assertEquals("NoNewPrivs:\t0", ok("grep NoNewPrivs /proc/" + userPid + "/status"), "the drop-in lets the setuid fusermount3 work");
            assertTrue(ok("findmnt -n -o OPTIONS /run/devhost/dev").contains("allow_other"), "root reaches the user's devfs by allow_other");
            System.out.printf("ServiceSandboxIT: checks done %d ms after the boot began%n", (System.nanoTime() - started) / 1_000_000);
        } finally {
            stop(nspawn, init);
        }
        assertEquals(0, nspawn.exitValue(), "the container halted as asked:\n" + tail(console.toString(StandardCharsets.UTF_8), 2000));
        assertFalse(init.orElseThrow().isAlive(), "the container's processes are gone");
        assertFalse(Files.readString(Path.of("/proc/self/mountinfo")).contains(work.toString()), "no mount of the test's is left on the machine");
        System.out.printf("ServiceSandboxIT: the container is gone %d ms after the boot began%n", (System.nanoTime() - started) / 1_000_000);
    }

    /** The service is active with its STATUS line, devfs is mounted (by {@code owner}) and reads, and the admin shell answers. */
    private void serves(String how, String owner) throws Exception {
        assertEquals("active", ok("systemctl is-active devhost"), how);
        String status = ok("systemctl show -p StatusText --value devhost");
        assertTrue(status.matches("\\d+ devices, 12 modules live"), how + ": STATUS " + status + journal());
        String mount = ok("findmnt -n -o FSTYPE,OPTIONS /run/devhost/dev");
        assertTrue(mount.startsWith("fuse.devhost ") && mount.contains(owner), how + ": devfs, seen beside the service: " + mount);
        assertEquals("00 00 00 00", ok("head -c 4 /run/devhost/dev/zero | od -An -tx1"), how + ": /run/devhost/dev/zero reads");
        String lsmod = ok("devhost dev:lsmod");
        assertTrue(lsmod.matches("(?s).*\nscull +\\d+  live +0  0.*"), how + ": the admin shell answers dev:lsmod:\n" + lsmod);
    }

    /** The container's PID 1, as the machine sees it, once its systemd listens: nspawn's descendant in another PID namespace. */
    private static Optional<ProcessHandle> containerInit(Process nspawn) throws Exception {
        String ours = Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
        while (System.nanoTime() < deadline) {
            if (!nspawn.isAlive()) {
                throw new AssertionError("systemd-nspawn ended (exit " + nspawn.exitValue() + ") before the container's systemd started");
            }
            for (ProcessHandle h : nspawn.descendants().toList()) {
                try {
                    // in the container's PID namespace, systemd by now (not nspawn's child before its exec), and
                    // listening (before that, systemctl in there would find no manager and say "offline")
                    if (!Files.readSymbolicLink(Path.of("/proc/" + h.pid() + "/ns/pid")).toString().equals(ours)
                            && Files.readString(Path.of("/proc/" + h.pid() + "/comm")).strip().equals("systemd")
                            && Files.exists(Path.of("/proc/" + h.pid() + "/root/run/systemd/private"))) {
                        return Optional.of(h);
                    }
                } catch (IOException gone) {
                    // a short-lived helper that has ended
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no container PID 1 within " + BOUND_SECONDS + " s");
    }

    /**
     * Power off: SIGTERM to nspawn, which asks the container's systemd to halt, within the bound;
     * else kill nspawn and the container's PID 1, which ends everything in it. The signal goes
     * through the process handle: {@code Process.destroy} would also close nspawn's output, and
     * nspawn, its console gone (EPIPE), kills the container at once instead of halting it.
     */
    private void stop(Process nspawn, Optional<ProcessHandle> init) throws Exception {
        nspawn.toHandle().destroy();
        if (!nspawn.waitFor(BOUND_SECONDS, TimeUnit.SECONDS)) {
            nspawn.destroyForcibly();
            nspawn.waitFor(30, TimeUnit.SECONDS);
        }
        if (init.isPresent() && init.get().isAlive()) {
            init.get().destroyForcibly();
            init.get().onExit().get(30, TimeUnit.SECONDS);
        }
        consoleDrain.get(10, TimeUnit.SECONDS);
        System.out.println("ServiceSandboxIT: systemd-nspawn ended with " + nspawn.exitValue() + "; the console's last lines:\n"
                + tail(console.toString(StandardCharsets.UTF_8), 400));
    }

    /** The indented {@code [Service]} block of README's "Install as a service" that runs the host as the user devhost. */
    private static String readmeDropIn() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        int at = readme.indexOf("\n    [Service]\n    User=devhost\n");
        assertTrue(at >= 0, "README has the drop-in for a user of its own");
        String block = readme.substring(at + 1, readme.indexOf("\n\n", at + 1) + 1);
        return block.lines().map(l -> l.substring(4) + "\n").collect(Collectors.joining());
    }

    /** A static i386 ELF program: {@code mov eax,1; mov ebx,7; int 0x80}, the 32-bit exit(7). */
    private static byte[] exit7i386() {
        byte[] code = {(byte) 0xb8, 1, 0, 0, 0, (byte) 0xbb, 7, 0, 0, 0, (byte) 0xcd, (byte) 0x80};
        int base = 0x08048000;
        int header = 52;
        int program = 32;
        int total = header + program + code.length;
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 1, 1, 1, 0}).put(new byte[8]);
        b.putShort((short) 2).putShort((short) 3).putInt(1).putInt(base + header + program).putInt(header).putInt(0).putInt(0)
                .putShort((short) header).putShort((short) program).putShort((short) 1).putShort((short) 0).putShort((short) 0)
                .putShort((short) 0);
        b.putInt(1).putInt(0).putInt(base).putInt(base).putInt(total).putInt(total).putInt(5).putInt(0x1000);
        b.put(code);
        return b.array();
    }
}
