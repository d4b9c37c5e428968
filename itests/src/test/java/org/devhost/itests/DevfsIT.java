package org.devhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.devhost.kernel.DeviceRegistry;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.CoreOptions;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;

/**
 * devfs on a real FUSE mount, used by real processes: cat, dd, head, echo through sh, Python's
 * os, fcntl and select, and setpriv for another user. Needs root and /dev/fuse (skipped with the
 * reason otherwise); the mount point is a fresh folder under /tmp, mounted with allow_other.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class DevfsIT {
    private static final String PY = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";

    @Configuration
    public Option[] config() {
        String mount = "/tmp/devhost-itest-" + ProcessHandle.current().pid() + "-" + System.nanoTime() + "/dev";
        removeWhenTheTestsEnd(Path.of(mount));
        return CoreOptions.options(
                CoreOptions.composite(HostOptions.host("mem", "scull", "rust_chrdev", "rust_semaphore", "rust_miscdev")),
                CoreOptions.bundle(HostOptions.jar("org.devhost.devfs")),
                CoreOptions.frameworkProperty("devhost.devfs.mount").value(mount),
                CoreOptions.frameworkProperty("devhost.devfs.allow_other").value("true"),
                CoreOptions.systemProperty("itest.devfs.mount").value(mount),
                CoreOptions.systemProperty("itest.scull.jar").value(
                        new File(System.getProperty("itest.bundles", "target/bundles"), "org.devhost.drivers.scull.jar")
                                .getAbsolutePath()));
    }

    /**
     * The mount point and its folder go once this JVM ends (after every framework stopped and
     * devfs unmounted): only while empty, so a mount still in place is never walked into.
     */
    static void removeWhenTheTestsEnd(Path mountPoint) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Path p : List.of(mountPoint, mountPoint.getParent())) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException notEmptyOrStillMounted) {
                    System.err.println("itests: left " + p + " in place: " + notEmptyOrStillMounted);
                }
            }
        }, "itest-remove-" + mountPoint));
    }

    private String mount;
    private BundleContext context;

    @Before
    public void mounted() throws Exception {
        assumeTrue("devfs needs /dev/fuse, which this machine lacks", Files.exists(Path.of("/dev/fuse")));
        assumeTrue("devfs tests mount as root; this user is not root",
                "root".equals(System.getProperty("user.name")));
        mount = System.getProperty("itest.devfs.mount");
        context = FrameworkUtil.getBundle(getClass()).getBundleContext();
        Await.until("devfs mounted at " + mount + " with the sample devices", () -> Files.exists(Path.of(mount, "zero"))
                && Files.exists(Path.of(mount, "scull0")) && Files.exists(Path.of(mount, "rust_semaphore")));
    }

    // ---- processes ----

    private record Result(int exit, String out) {}

    /** Runs a program to its end, bounded: a hang fails the test instead of stopping the build. */
    private static Result run(long boundSeconds, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread drain = new Thread(() -> {
            try {
                p.getInputStream().transferTo(out);
            } catch (IOException ignored) {
                // gone
            }
        });
        drain.start();
        if (!p.waitFor(boundSeconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            drain.join(2000);
            throw new AssertionError(String.join(" ", cmd) + " did not end within " + boundSeconds + " s: " + out);
        }
        drain.join(5000);
        return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8));
    }

    private Result sh(String script) throws Exception {
        return run(60, "sh", "-c", script.replace("$M", mount));
    }

    private Result py(String script) throws Exception {
        return run(120, PY, "-c", script, mount);
    }

    private static String ok(Result r) {
        assertEquals(r.out(), 0, r.exit());
        return r.out();
    }

    // ---- what ls and stat show ----

    @Test
    public void everyDeviceIsAFileWithItsModeAndNumber() throws Exception {
        String ls = ok(sh("ls -l $M"));
        assertTrue(ls, ls.matches("(?s).*-rw-rw-rw- 1 root root 0 .* zero\n.*"));
        assertTrue(ls, ls.matches("(?s).*-rw-rw-r-- 1 root root 0 .* scull0\n.*"));
        assertTrue(ls, ls.matches("(?s).*-rw------- 1 root root 0 .* rust_chrdev0\n.*"));
        assertTrue(ls, ls.matches("(?s).*dr-?w?x.* char\n.*"));
        assertEquals("../zero\n", ok(sh("readlink $M/char/1:5")));
        assertEquals("1:5\n", ok(py("import os,sys; print(os.getxattr(sys.argv[1] + '/zero', 'user.devhost.dev').decode())")));
        assertEquals("0 regular empty file\n", ok(sh("stat -c '%s %F' $M/zero")));
        // a name nobody registered
        Result missing = sh("cat $M/nosuch");
        assertNotEquals(0, missing.exit());
        assertTrue(missing.out(), missing.out().contains("No such file or directory"));
    }

    /** chmod and chown change what stat shows and who may open: the kernel checks opens against them. */
    @Test
    public void chmodChangesTheModeWhileTheDeviceLives() throws Exception {
        String nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
        Result before = sh(nobody + "head -c 1 $M/rust_chrdev1");
        assertTrue(before.out(), before.exit() != 0 && before.out().contains("Permission denied"));
        try {
            ok(sh("chmod 0640 $M/rust_chrdev1 && chown 65534:65534 $M/rust_chrdev1"));
            assertEquals("640 65534:65534\n", ok(sh("stat -c '%a %u:%g' $M/rust_chrdev1")));
            // now nobody's: nobody may open it (rust_chrdev's open succeeds, its read is EINVAL)
            Result opened = sh(nobody + "sh -c 'exec 3<$M/rust_chrdev1 && echo opened'");
            assertEquals(opened.out(), "opened\n", opened.out());
        } finally {
            ok(sh("chmod 0600 $M/rust_chrdev1 && chown 0:0 $M/rust_chrdev1"));
        }
        Result after = sh(nobody + "sh -c 'exec 3<$M/rust_chrdev1 && echo opened'");
        assertTrue(after.out(), after.exit() != 0 && after.out().contains("Permission denied"));
    }

    /** dev:mounts, as a user types it: the mount, its options and the request counters. */
    @Test
    public void devMountsShowsTheMountAndItsCounters() throws Exception {
        ok(sh("head -c 1 $M/zero > /dev/null"));
        CommandSession session = shell();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            Object r = session.execute("dev:mounts");
            out.write(String.valueOf(r).getBytes(StandardCharsets.UTF_8));
        } finally {
            session.close();
        }
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text, text.matches("(?s)MOUNT +TYPE +OPTIONS\n" + java.util.regex.Pattern.quote(mount)
                + " +fuse\\.devhost +rootmode=40000,user_id=0,group_id=0,default_permissions,allow_other\n.*"));
        assertTrue(text, text.matches("(?s).*\nrequests: .*LOOKUP \\d+.*OPEN \\d+.*READ \\d+.*"));
        assertTrue(text, text.contains("answered for stuck drivers "));
    }

    // ---- data through shell tools ----

    @Test
    public void shellToolsReadAndWrite() throws Exception {
        assertEquals(" 00 00 00 00 00\n", ok(sh("head -c 5 $M/zero | od -An -tx1")));
        assertEquals("hello devfs\n", ok(sh("echo hello devfs > $M/scull1 && cat $M/scull1")));
        String dd = ok(sh("dd if=$M/zero of=/dev/null bs=64k count=16 2>&1"));
        assertTrue(dd, dd.contains("1048576 bytes"));
        Result full = sh("dd if=/dev/zero of=$M/full bs=1 count=1 2>&1"); // dash's echo says only "I/O error"
        assertNotEquals(0, full.exit());
        assertTrue(full.out(), full.out().contains("No space left on device"));
        assertEquals("", ok(sh("cat $M/null")));
    }

    @Test
    public void positionalReadsAndWritesReachASeekableDevice() throws Exception {
        String out = ok(py(String.join("\n",
                "import os, sys",
                "fd = os.open(sys.argv[1] + '/scull2', os.O_RDWR | os.O_TRUNC)",
                "os.write(fd, b'abcdef')",
                "os.pwrite(fd, b'XY', 1)",
                "print(os.pread(fd, 4, 0), os.lseek(fd, 0, os.SEEK_CUR))")));
        assertEquals("b'aXYd' 6\n", out);
    }

    @Test
    public void manyBlockedReadersDoNotStarveOtherClients() throws Exception {
        List<Process> blocked = new ArrayList<>();
        try {
            for (int i = 0; i < 24; i++) {
                blocked.add(new ProcessBuilder("cat", mount + "/scullpipe3").redirectErrorStream(true).start());
            }
            Await.until("24 readers asleep in scullpipe3", () -> blocked.stream().allMatch(p -> state(p.pid()) == 'S'));
            assertEquals(" 00 00 00 00\n", ok(sh("head -c 4 $M/zero | od -An -tx1")));
            assertEquals("still served\n", ok(sh("echo still served > $M/scull3 && cat $M/scull3")));
        } finally {
            blocked.forEach(Process::destroy); // SIGTERM ends each read (FUSE_INTERRUPT, then the process)
            for (Process p : blocked) {
                assertTrue("a blocked reader survived SIGTERM", p.waitFor(10, TimeUnit.SECONDS));
            }
        }
    }

    // ---- ioctl, poll and non-blocking reads from Python ----

    @Test
    public void ioctlFromAnotherProcess() throws Exception {
        String out = ok(py(String.join("\n",
                "import os, sys, fcntl, struct, errno",
                "m = sys.argv[1]",
                "fd = os.open(m + '/scull0', os.O_RDWR)",
                "print('G', struct.unpack('i', fcntl.ioctl(fd, 0x80046b05, bytes(4)))[0])",  // SCULL_IOCGQUANTUM
                "print('Q', fcntl.ioctl(fd, 0x6b07))",  // SCULL_IOCQQUANTUM: the value is the result
                "try:",
                "    fcntl.ioctl(fd, 0x80046b7f, bytes(4))",
                "except OSError as e:",
                "    print('unknown', errno.errorcode[e.errno])",
                "s = os.open(m + '/rust_semaphore', os.O_RDWR)",
                "fcntl.ioctl(s, 0x40086301, struct.pack('Q', 7))",  // IOCTL_SET_READ_COUNT
                "print('count', struct.unpack('Q', fcntl.ioctl(s, 0x80086301, bytes(8)))[0])")));
        assertTrue(out, out.contains("G 4000\n"));
        assertTrue(out, out.contains("Q 4000\n"));
        assertTrue(out, out.contains("unknown ENOTTY\n"));
        assertTrue(out, out.contains("count 7\n"));
    }

    @Test
    public void pollWakesWhenTheWriterWrites() throws Exception {
        String out = ok(py(String.join("\n",
                "import os, sys, select, threading, time, errno",
                "p = sys.argv[1] + '/scullpipe0'",
                "r = os.open(p, os.O_RDONLY | os.O_NONBLOCK)",
                "try:",
                "    os.read(r, 16)",
                "except OSError as e:",
                "    print('empty', errno.errorcode[e.errno])",
                "poller = select.poll()",
                "poller.register(r, select.POLLIN)",
                "print('before', poller.poll(0))",
                "w = os.open(p, os.O_WRONLY)",
                "threading.Timer(0.3, lambda: os.write(w, b'ping')).start()",
                "ev = poller.poll(20000)",
                "print('after', [(e & select.POLLIN) != 0 for (f, e) in ev])",
                "print('read', os.read(r, 16))")));
        assertTrue(out, out.contains("empty EAGAIN\n"));
        assertTrue(out, out.contains("before []\n"));
        assertTrue(out, out.contains("after [True]\n"));
        assertTrue(out, out.contains("read b'ping'\n"));
    }

    @Test
    public void tenMegabytesThroughScullpipeBetweenTwoProcesses() throws Exception {
        String reader = String.join("\n",
                "import os, sys, hashlib",
                "fd = os.open(sys.argv[1] + '/scullpipe1', os.O_RDONLY)",
                "h = hashlib.sha256(); left = 10 << 20",
                "while left > 0:",
                "    b = os.read(fd, min(left, 65536))",
                "    if not b: break",
                "    h.update(b); left -= len(b)",
                "print(h.hexdigest(), left)");
        String writer = String.join("\n",
                "import os, sys, hashlib, random",
                "data = random.Random(11).randbytes(10 << 20)",
                "fd = os.open(sys.argv[1] + '/scullpipe1', os.O_WRONLY)",
                "view = memoryview(data)",
                "while view:",
                "    n = os.write(fd, view[:65536]); view = view[n:]",
                "print(hashlib.sha256(data).hexdigest(), 0)");
        Process r = new ProcessBuilder(PY, "-c", reader, mount).redirectErrorStream(true).start();
        Result w = run(120, PY, "-c", writer, mount);
        assertTrue("reader ended early: " + w.out(), r.waitFor(120, TimeUnit.SECONDS));
        String read = new String(r.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, w.exit());
        assertEquals(w.out(), read);
    }

    // ---- signals end blocked readers ----

    /**
     * A cat blocked on an empty pipe sleeps interruptibly (S, never D) while it waits for the
     * driver, and SIGINT, SIGTERM and SIGKILL each end it. The state is read from the blocked
     * process itself, while it is blocked in devfs (its kernel wait is FUSE's).
     */
    @Test
    public void signalsEndABlockedReader() throws Exception {
        for (String signal : List.of("INT", "TERM", "KILL")) {
            // the signal at its default: a build started in the background inherits SIGINT ignored
            Process cat = new ProcessBuilder("env", "--default-signal=INT,TERM", "cat", mount + "/scullpipe2")
                    .redirectErrorStream(true).start();
            Await.until("cat asleep in devfs, have " + state(cat.pid()) + " in " + wchan(cat.pid()),
                    () -> state(cat.pid()) == 'S' && wchan(cat.pid()).contains("request_wait_answer"));
            assertEquals("SIG" + signal + ": blocked in the driver, cat sleeps interruptibly", 'S', state(cat.pid()));
            run(5, "kill", "-" + signal, Long.toString(cat.pid()));
            assertTrue("cat still blocked after SIG" + signal, cat.waitFor(5, TimeUnit.SECONDS));
            assertNotEquals("SIG" + signal + " ended it, not an end of file", 0, cat.exitValue());
        }
    }

    private static String wchan(long pid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/wchan"));
        } catch (IOException e) {
            return "?";
        }
    }

    private static char state(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2);
        } catch (IOException e) {
            return '?';
        }
    }

    // ---- what FUSE cannot do: the README's list, each as it behaves ----

    /** One case of {@link #LIMITS} per run: python3 -c LIMITS MOUNT CASE. */
    private static final String LIMITS = """
import os, sys, mmap, signal, fcntl, termios, array, ctypes, select, errno, subprocess
M = sys.argv[1]
what = sys.argv[2]
if what == 'seek':
    fd = os.open(M + '/scull1', os.O_WRONLY)
    os.write(fd, b'x' * 1000)
    print('end', os.lseek(fd, 0, os.SEEK_END))
    try:
        print('end-10', os.lseek(fd, -10, os.SEEK_END))
    except OSError as e:
        print('end-10', errno.errorcode[e.errno])
    print('set', os.lseek(fd, 990, os.SEEK_SET))
elif what == 'mmap':
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
    fd = os.open(M + '/scull1', os.O_RDONLY)
    addr = libc.mmap(None, 4096, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
    print('shared', 'refused ' + errno.errorcode[ctypes.get_errno()] if addr in (None, ctypes.c_void_p(-1).value) else 'mapped', flush=True)
    addr = libc.mmap(None, 4096, mmap.PROT_READ, mmap.MAP_PRIVATE, fd, 0)
    print('private', 'refused ' + errno.errorcode[ctypes.get_errno()] if addr in (None, ctypes.c_void_p(-1).value) else 'mapped', flush=True)
    ctypes.string_at(addr, 1)
    print('touched', flush=True)
elif what == 'async':
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGIO])
    r = os.open(M + '/scullpipe1', os.O_RDONLY | os.O_NONBLOCK)
    fcntl.fcntl(r, fcntl.F_SETOWN, os.getpid())
    print('setfl', fcntl.fcntl(r, fcntl.F_SETFL, fcntl.fcntl(r, fcntl.F_GETFL) | fcntl.FASYNC))
    w = os.open(M + '/scullpipe1', os.O_WRONLY)
    os.write(w, b'data')
    p = select.poll(); p.register(r, select.POLLIN)
    print('readable', bool(p.poll(30000)))
    print('sigio', signal.SIGIO in signal.sigpending())
    os.read(r, 4)
elif what == 'restart':
    libc = ctypes.CDLL(None, use_errno=True)
    signal.signal(signal.SIGUSR1, lambda *a: None)
    signal.siginterrupt(signal.SIGUSR1, False)
    fd = os.open(M + '/scullpipe2', os.O_RDONLY)
    print('blocking', flush=True)
    buf = ctypes.create_string_buffer(16)
    n = libc.read(fd, buf, 16)
    print('read', n, errno.errorcode.get(ctypes.get_errno(), ctypes.get_errno()), flush=True)
elif what == 'fionread':
    r = os.open(M + '/scullpipe3', os.O_RDONLY | os.O_NONBLOCK)
    w = os.open(M + '/scullpipe3', os.O_WRONLY)
    os.write(w, b'12345')
    buf = array.array('i', [-1])
    try:
        fcntl.ioctl(r, termios.FIONREAD, buf, True)
        print('fionread', buf[0])
    except OSError as e:
        print('fionread', errno.errorcode[e.errno])
    os.read(r, 5)
""";

    /**
     * Where devfs differs from a character device because FUSE decides, not devfs (README,
     * "What devfs cannot do"): SEEK_END counts from the size devfs reports (0); MAP_SHARED is
     * ENODEV but MAP_PRIVATE maps and the first touch is SIGBUS; O_ASYNC is accepted and no
     * SIGIO comes; a handler with SA_RESTART still ends a blocked read with EINTR; FIONREAD is
     * answered by the client's kernel from the size it believes, not by the driver.
     */
    @Test
    public void whatFuseCannotDoBehavesAsTheReadmeSays() throws Exception {
        assertEquals("end 0\nend-10 EINVAL\nset 990\n", ok(run(30, PY, "-c", LIMITS, mount, "seek")));

        Result mmap = run(30, PY, "-c", LIMITS, mount, "mmap");
        assertEquals(mmap.out(), "shared refused ENODEV\nprivate mapped\n", mmap.out());
        assertEquals("killed by SIGBUS (128 + 7) at the first touch: " + mmap.out(), 135, mmap.exit());

        // the SIGIO a character device's fasync would have queued by the time poll says readable
        assertEquals("setfl 0\nreadable True\nsigio False\n", ok(run(30, PY, "-c", LIMITS, mount, "async")));

        // the client's kernel answers from the size it believes: here the end of the last write
        assertEquals("fionread 5\n", ok(run(30, PY, "-c", LIMITS, mount, "fionread")));

        Process restart = new ProcessBuilder("env", "--default-signal=INT", PY, "-c", LIMITS, mount, "restart")
                .redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread drain = new Thread(() -> {
            try {
                restart.getInputStream().transferTo(out);
            } catch (IOException ignored) {
                // gone
            }
        }, "itest-drain-restart");
        drain.setDaemon(true);
        drain.start();
        Await.until(() -> "the reader blocked in devfs, printed " + out + ", in " + wchan(restart.pid()),
                () -> out.toString(StandardCharsets.UTF_8).contains("blocking")
                        && wchan(restart.pid()).contains("request_wait_answer"));
        run(5, "kill", "-USR1", Long.toString(restart.pid()));
        assertTrue("the reader still blocked after SIGUSR1", restart.waitFor(10, TimeUnit.SECONDS));
        drain.join(5000);
        assertEquals("blocking\nread -1 EINTR\n", out.toString(StandardCharsets.UTF_8));
    }

    // ---- permissions as another user ----

    @Test
    public void anotherUserGetsWhatTheModeAllows() throws Exception {
        String nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
        assertEquals("4\n", ok(sh(nobody + "head -c 4 $M/zero | wc -c")));
        Result refused = sh(nobody + "cat $M/rust_chrdev0");
        assertNotEquals(0, refused.exit());
        assertTrue(refused.out(), refused.out().contains("Permission denied"));
        // scull0 is 0664: another user may read it, not write it; what root wrote stays
        ok(sh("echo mine > $M/scull0"));
        assertEquals("mine\n", ok(sh(nobody + "cat $M/scull0")));
        Result write = sh(nobody + "sh -c 'echo theirs > $M/scull0'");
        assertNotEquals(0, write.exit());
        assertTrue(write.out(), write.out().contains("Permission denied"));
        assertEquals("mine\n", ok(sh("cat $M/scull0")));
    }

    // ---- unload under load ----

    @Test
    public void unloadUnderLoadEndsEveryClientWithAnErrorAndTheMountStaysHealthy() throws Exception {
        CommandSession session = shell();
        String loop = String.join("\n",
                "import os, sys, errno",
                "fd = os.open(sys.argv[1] + '/' + sys.argv[2], os.O_RDWR)",
                "print('open', flush=True)",
                "said = False",
                "try:",
                "    while True:",
                "        if sys.argv[3] == 'w': os.write(fd, b'x' * 100)",
                "        else: os.read(fd, 100)",
                "        if not said: print('io', flush=True); said = True",
                "except OSError as e:",
                "    print('ended', errno.errorcode[e.errno], flush=True)");
        List<Process> clients = new ArrayList<>();
        List<ByteArrayOutputStream> outs = new ArrayList<>();
        String[][] work = {{"scull2", "w"}, {"scull3", "r"}, {"scullpipe3", "r"}, {"scullpipe3", "w"}};
        for (String[] w : work) {
            Process c = new ProcessBuilder(PY, "-c", loop, mount, w[0], w[1]).redirectErrorStream(true).start();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Thread drain = new Thread(() -> {
                try {
                    c.getInputStream().transferTo(out);
                } catch (IOException ignored) {
                    // gone
                }
            }, "itest-drain-" + String.join("-", w));
            drain.setDaemon(true);
            drain.start();
            clients.add(c);
            outs.add(out);
        }
        // every client has opened its file and finished an operation on it: the unload comes in
        // the middle of their I/O, not before it
        Await.until(() -> "every client in the middle of its I/O, have " + outs,
                () -> outs.stream().allMatch(o -> o.toString(StandardCharsets.UTF_8).startsWith("open\nio\n")));
        session.execute("dev:rmmod -f scull");
        try {
            for (int i = 0; i < clients.size(); i++) {
                Process c = clients.get(i);
                assertTrue("client " + String.join(" ", work[i]) + " still running after rmmod -f",
                        c.waitFor(20, TimeUnit.SECONDS));
                int n = i;
                Await.until(() -> "the output of " + String.join(" ", work[n]) + ": " + outs.get(n),
                        () -> outs.get(n).toString(StandardCharsets.UTF_8).contains("ended"));
                String out = outs.get(i).toString(StandardCharsets.UTF_8);
                assertTrue(String.join(" ", work[i]) + ": " + out, out.matches("(?s)open\nio\nended (ENODEV|ENXIO)\n"));
            }
            Await.until("scull's files gone", () -> !Files.exists(Path.of(mount, "scull0")));
            assertEquals(" 00 00\n", ok(sh("head -c 2 $M/zero | od -An -tx1")));
        } finally {
            session.execute("dev:insmod " + System.getProperty("itest.scull.jar"));
            session.close();
        }
        Await.until("scull's files back", () -> Files.exists(Path.of(mount, "scull0")));
    }

    private CommandSession shell() throws Exception {
        Await.until("gogo and dev:rmmod", () -> context.getServiceReference(CommandProcessor.class) != null
                && context.getServiceReference(DeviceRegistry.class) != null);
        CommandProcessor cp = context.getService(context.getServiceReference(CommandProcessor.class));
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        return cp.createSession(new ByteArrayInputStream(new byte[0]), new PrintStream(sink), new PrintStream(sink));
    }

    /**
     * Each test's processes have ended: every file they opened is released (FUSE's RELEASE comes
     * after the process is gone, so this waits for it), and the mount is still devfs and answers.
     */
    @After
    public void nothingLeftOpenAndTheMountAnswers() throws Exception {
        if (mount == null) {
            return;
        }
        DeviceRegistry registry = context.getService(context.getServiceReference(DeviceRegistry.class));
        Await.until(() -> "every devfs file released, open: " + registry.devices().stream()
                .filter(d -> d.openCount() > 0).map(d -> d.name() + "=" + d.openCount()).toList(),
                () -> registry.devices().stream().allMatch(d -> d.openCount() == 0));
        assertTrue("still mounted: " + mount, Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .anyMatch(l -> l.contains(" " + mount + " ") && l.contains(" - fuse")));
        assertEquals(" 00 00\n", ok(sh("head -c 2 $M/zero | od -An -tx1")));
    }
}
