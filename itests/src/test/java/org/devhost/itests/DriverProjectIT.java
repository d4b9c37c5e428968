package org.devhost.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WRITING-DRIVERS.md, done as a new author does it: the API installed in the local Maven
 * repository, the outside project {@code itests/outside-driver} built on its own (its unit test on
 * the testing kit runs), and the jar loaded into {@code ./devhost} with {@code dev:insmod}. Also
 * checks that the code shown on the page is the code in that folder.
 */
class DriverProjectIT {
    private static final Path ROOT = Path.of(System.getProperty("devhost.root", "..")).toAbsolutePath().normalize();
    private static final Path TEMPLATE = ROOT.resolve("itests/outside-driver");
    private static final long BOUND_SECONDS = 300;

    @TempDir
    Path tmp;

    /** Runs a command in {@code dir}, bounded; returns its exit code and output. */
    private static Result run(Path dir, String stdin, List<String> command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("DEVHOST_NO_BUILD", "1"); // ./devhost: the reactor built the host already
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

    private record Result(int code, String output) {}

    /** Maven as a user runs it: offline when everything is in the local repository, else online once. */
    private static Result mvn(Path dir, String... args) throws Exception {
        List<String> offline = new ArrayList<>(List.of("mvn", "-B", "-o"));
        offline.addAll(List.of(args));
        Result r = run(dir, "", offline);
        if (r.code() == 0) {
            return r;
        }
        List<String> online = new ArrayList<>(List.of("mvn", "-B"));
        online.addAll(List.of(args));
        return run(dir, "", online);
    }

    /**
     * The API in the local repository, as "mvn install" in devhost puts it there, with the
     * project's own poms (the kernel's names its parent); and its sources and javadoc beside it.
     */
    private void installApi() throws Exception {
        Path kernelJar;
        try (Stream<Path> s = Files.list(ROOT.resolve("host/kernel/target"))) {
            kernelJar = s.filter(p -> p.getFileName().toString().matches("org\\.devhost\\.kernel-.*-SNAPSHOT\\.jar")).findFirst()
                    .orElseThrow(() -> new AssertionError("the kernel jar is not built"));
        }
        Result parent = mvn(tmp, "org.apache.maven.plugins:maven-install-plugin:3.1.3:install-file",
                "-Dfile=" + ROOT.resolve("pom.xml"), "-DpomFile=" + ROOT.resolve("pom.xml"), "-Dpackaging=pom");
        assertEquals(0, parent.code(), parent.output());
        Result installed = mvn(tmp, "org.apache.maven.plugins:maven-install-plugin:3.1.3:install-file",
                "-Dfile=" + kernelJar, "-DpomFile=" + ROOT.resolve("host/kernel/pom.xml"));
        assertEquals(0, installed.code(), installed.output());
    }

    /** The template folder copied as an author would have it, built on its own; its jar. */
    private Path build(String template, String jarName, int tests) throws Exception {
        Path project = tmp.resolve(template);
        copyTree(ROOT.resolve("itests").resolve(template), project);
        Result built = mvn(project, "package");
        assertEquals(0, built.code(), built.output());
        assertTrue(built.output().contains("Tests run: " + tests + ", Failures: 0, Errors: 0, Skipped: 0"), built.output());
        Path jar = project.resolve("target").resolve(jarName);
        assertTrue(Files.isRegularFile(jar), built.output());
        return jar;
    }

    private List<String> hostCommand(String... more) {
        List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("devhost").toString(), "org.osgi.framework.storage=" + tmp.resolve("cache"),
                "devhost.deploy=" + tmp.resolve("deploy"), "devhost.conf=" + tmp.resolve("conf")));
        cmd.addAll(List.of(more));
        return cmd;
    }

    @Test
    void anOutsideDriverProjectBuildsTestsAndLoadsIntoTheHost() throws Exception {
        installApi();
        Path jar = build("outside-driver", "hello-driver-1.0.0.jar", 1);

        // loaded into the host, used, unloaded
        Result host = run(ROOT, String.join("\n", "dev:insmod " + jar, "dev:cat hello", "dev:lsmod", "dev:rmmod hello",
                "dev:ls hello", ""), hostCommand("devhost.devfs=off"));
        String out = host.output();
        assertEquals(0, host.code(), out);
        assertTrue(out.matches("(?s).*hello: loaded \\(bundle \\d+\\)\\n  hello +misc 10:\\d+.*"), out);
        assertTrue(out.contains("g! Hello from an outside driver\n"), out);
        assertTrue(out.matches("(?s).*\\nhello +\\d+  live +0  0.*"), out);
        // (a FILE column too while devfs is mounted)
        assertTrue(out.matches("(?s).*g! NAME  TYPE  MODE  DEVICE  MODULE  OPEN  OPS(  FILE)?\ng! .*"), "hello is gone after rmmod: " + out);
    }

    /** The API jar's sources and javadoc are built beside it (mvn install puts them where an IDE looks). */
    @Test
    void theApiJarHasSourcesAndJavadocBesideIt() throws Exception {
        Path target = ROOT.resolve("host/kernel/target");
        try (java.util.zip.ZipFile sources = new java.util.zip.ZipFile(target.resolve("org.devhost.kernel-0.1.0-SNAPSHOT-sources.jar").toFile());
                java.util.zip.ZipFile javadoc = new java.util.zip.ZipFile(target.resolve("org.devhost.kernel-0.1.0-SNAPSHOT-javadoc.jar").toFile())) {
            for (String api : List.of("org/devhost/kernel/FileOperations", "org/devhost/kernel/Ioctl", "org/devhost/kernel/testing/TestKernel")) {
                assertTrue(sources.getEntry(api + ".java") != null, api + ".java in the sources jar");
                assertTrue(javadoc.getEntry(api + ".html") != null, api + ".html in the javadoc jar");
            }
            assertTrue(sources.stream().noneMatch(e -> e.getName().contains("/impl/")), "the implementation stays out");
        }
    }

    /**
     * WRITING-DRIVERS.md section 7 as a newcomer does it: the counter project built (its tests on
     * the testing kit run), the jar given to ./devhost with its parameter after a colon, the Python
     * program of 7.5 run over devfs and its output compared with the page's, then the shell session
     * of 7.4 run and compared, and the kernel log free of bogus "unknown parameter" lines.
     */
    @Test
    void theCounterOfSectionSevenBuildsLoadsWithItsParameterAndServesTheShellAndPython() throws Exception {
        Needs.that(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse: devfs cannot mount here");
        Needs.that(Needs.onPath("python3"), "no python3 on the PATH (apt-get install python3)");
        String page = Files.readString(ROOT.resolve("WRITING-DRIVERS.md"));
        installApi();
        Path jar = build("counter-driver", "counter-driver-1.0.0.jar", 3);

        Path mount = tmp.resolve("dev");
        ProcessBuilder pb = new ProcessBuilder(hostCommand("devhost.devfs.mount=" + mount, jar + ":start=3"))
                .directory(ROOT.toFile()).redirectErrorStream(true);
        pb.environment().put("DEVHOST_NO_BUILD", "1");
        Process host = pb.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Drain drained = Drain.of(host.getInputStream(), out);
        try {
            Await.until(() -> "counter in devfs at " + mount + "; the host said:\n" + out, () -> Files.exists(mount.resolve("counter")));

            Path script = tmp.resolve("use_counter.py");
            Files.copy(ROOT.resolve("itests/counter-driver/use_counter.py"), script);
            Result python = run(tmp, "", List.of("python3", script.toString(), mount.toString()));
            assertEquals(0, python.code(), python.output());
            assertEquals(block(page, "<!-- output: counter-driver/use_counter.py -->"), python.output());

            // the session of 7.4: its commands in, its answers compared (paths and bundle ids masked)
            List<String> commands = new ArrayList<>();
            StringBuilder expected = new StringBuilder();
            for (String line : block(page, "<!-- session: counter -->").split("\n")) {
                if (line.startsWith("g! ")) {
                    commands.add(line.substring(3));
                    expected.append("g! ");
                } else {
                    expected.append(line).append('\n');
                }
            }
            host.getOutputStream().write((String.join("\n", commands) + "\ndev:dmesg\n").getBytes(StandardCharsets.UTF_8));
            host.getOutputStream().close();
            assertTrue(host.waitFor(BOUND_SECONDS, TimeUnit.SECONDS), "the host ends at the end of its input:\n" + out);
            drained.get(10, TimeUnit.SECONDS);
            String said = out.toString(StandardCharsets.UTF_8).replace(jar.toUri().toString(),
                    "file:///path/to/counter-driver/target/counter-driver-1.0.0.jar");
            String session = expected.toString();
            assertTrue(mask(said).contains(mask(session)), "the session of WRITING-DRIVERS.md 7.4:\n" + session + "\nthe host said:\n" + said);
            assertTrue(said.contains("devhost: loaded ") && said.contains(" with {start=3}"), said);
            assertTrue(said.contains("counting from 3"), "the driver's log line in dev:dmesg: " + said);
            assertFalse(said.contains("unknown parameter"), "no bogus parameter warnings (devhost.misc.*): " + said);
        } finally {
            if (host.isAlive()) {
                host.toHandle().destroy();
                host.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    /** The text of the code block right after {@code marker} on the page. */
    private static String block(String page, String marker) {
        Matcher m = Pattern.compile(Pattern.quote(marker) + "\\n```\\w*\\n(.*?)```", Pattern.DOTALL).matcher(page);
        assertTrue(m.find(), marker + " on the page");
        return m.group(1);
    }

    /** Bundle ids vary from run to run. */
    private static String mask(String text) {
        return text.replaceAll("\\((?:bundle )?\\d+\\)", "(N)");
    }


    /** Every code block that WRITING-DRIVERS.md marks with a file name is that file of the templates under itests/, exactly. */
    @Test
    void theCodeOnThePageIsTheCodeInTheTemplates() throws Exception {
        String page = Files.readString(ROOT.resolve("WRITING-DRIVERS.md"));
        Matcher m = Pattern.compile("<!-- file: (\\S+) -->\\n```\\w+\\n(.*?)```", Pattern.DOTALL).matcher(page);
        List<String> files = new ArrayList<>();
        while (m.find()) {
            assertEquals(Files.readString(ROOT.resolve("itests").resolve(m.group(1))), m.group(2), m.group(1) + " on the page");
            files.add(m.group(1));
        }
        assertEquals(List.of("outside-driver/src/main/java/com/example/hello/Hello.java",
                "outside-driver/src/test/java/com/example/hello/HelloTest.java", "counter-driver/pom.xml",
                "counter-driver/src/main/java/com/example/counter/Counter.java",
                "counter-driver/src/test/java/com/example/counter/CounterTest.java", "counter-driver/use_counter.py"), files,
                "both drivers, their tests, the counter's whole pom and its Python program are on the page");
        assertTrue(Files.readString(TEMPLATE.resolve("pom.xml")).contains("<version>7.1.0</version>"));
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path rel = from.relativize(p);
                if (rel.startsWith("target")) {
                    continue;
                }
                Path dest = to.resolve(rel.toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(p, dest);
                }
            }
        }
    }
}
