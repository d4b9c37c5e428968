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
import java.util.concurrent.CompletableFuture;
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
        CompletableFuture<Void> drained = CompletableFuture.runAsync(() -> {
            try {
                p.getInputStream().transferTo(out);
            } catch (IOException ignored) {
                // the process went away
            }
        });
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

    @Test
    void anOutsideDriverProjectBuildsTestsAndLoadsIntoTheHost() throws Exception {
        // 1. the API in the local repository, as "mvn install" in devhost puts it there
        Path kernelJar;
        try (Stream<Path> s = Files.list(ROOT.resolve("host/kernel/target"))) {
            kernelJar = s.filter(p -> p.getFileName().toString().matches("org\\.devhost\\.kernel-.*-SNAPSHOT\\.jar")).findFirst()
                    .orElseThrow(() -> new AssertionError("the kernel jar is not built"));
        }
        // with the project's own poms (the kernel's names its parent), as mvn install would
        Result parent = mvn(tmp, "org.apache.maven.plugins:maven-install-plugin:3.1.3:install-file",
                "-Dfile=" + ROOT.resolve("pom.xml"), "-DpomFile=" + ROOT.resolve("pom.xml"), "-Dpackaging=pom");
        assertEquals(0, parent.code(), parent.output());
        Result installed = mvn(tmp, "org.apache.maven.plugins:maven-install-plugin:3.1.3:install-file",
                "-Dfile=" + kernelJar, "-DpomFile=" + ROOT.resolve("host/kernel/pom.xml"));
        assertEquals(0, installed.code(), installed.output());

        // 2. the project, copied as an author would have it, built on its own
        Path project = tmp.resolve("hello-driver");
        copyTree(TEMPLATE, project);
        Result built = mvn(project, "package");
        assertEquals(0, built.code(), built.output());
        assertTrue(built.output().contains("Tests run: 1, Failures: 0, Errors: 0, Skipped: 0"), built.output());
        Path jar = project.resolve("target/hello-driver-1.0.0.jar");
        assertTrue(Files.isRegularFile(jar), built.output());

        // 3. loaded into the host, used, unloaded
        Result host = run(ROOT, String.join("\n", "dev:insmod " + jar, "dev:cat hello", "dev:lsmod", "dev:rmmod hello",
                "dev:ls hello", ""), List.of(ROOT.resolve("devhost").toString(), "org.osgi.framework.storage=" + tmp.resolve("cache"),
                "devhost.deploy=" + tmp.resolve("deploy"), "devhost.conf=" + tmp.resolve("conf")));
        String out = host.output();
        assertEquals(0, host.code(), out);
        assertTrue(out.matches("(?s).*hello: loaded \\(bundle \\d+\\)\\n  hello +misc 10:\\d+.*"), out);
        assertTrue(out.contains("g! Hello from an outside driver\n"), out);
        assertTrue(out.matches("(?s).*\\nhello +\\d+  0.*"), out);
        // (a FILE column too while devfs is mounted)
        assertTrue(out.matches("(?s).*g! NAME  TYPE  MODE  DEVICE  MODULE  OPEN  OPS(  FILE)?\ng! .*"), "hello is gone after rmmod: " + out);
    }

    /** Every code block that WRITING-DRIVERS.md marks with a file name is that file of the template, exactly. */
    @Test
    void theCodeOnThePageIsTheCodeInTheTemplate() throws Exception {
        String page = Files.readString(ROOT.resolve("WRITING-DRIVERS.md"));
        Matcher m = Pattern.compile("<!-- file: (\\S+) -->\\n```\\w+\\n(.*?)```", Pattern.DOTALL).matcher(page);
        int blocks = 0;
        while (m.find()) {
            assertEquals(Files.readString(TEMPLATE.resolve(m.group(1))), m.group(2), m.group(1) + " on the page");
            blocks++;
        }
        assertEquals(2, blocks, "the driver and its test are on the page");
        assertTrue(page.contains("bnd-maven-plugin:7.1.0") && Files.readString(TEMPLATE.resolve("pom.xml")).contains("<version>7.1.0</version>"));
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
