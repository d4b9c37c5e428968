package org.devhost.itests;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./devhost} as a user at the plain (piped) shell has it: a command is sent, its output
 * comes, the next prompt says it has ended, and only then is the next command sent. Unlike a
 * script piped all at once, a test can look at each answer before it goes on, and so wait for a
 * state by asking again. Every wait is bounded; a host that does not answer within the bound is
 * killed and the failure carries what it printed. Not thread-safe: one test drives it.
 */
final class HostSession implements AutoCloseable {
    static final Path ROOT = Path.of(System.getProperty("devhost.root", "..")).toAbsolutePath().normalize();
    /** The plain Gogo shell's prompt, printed when the host is ready for the next command. */
    static final String PROMPT = "g! ";
    /** How long one command (or the boot, or the stop) may take at most: a bound, not a timing relied on. */
    static final long BOUND_SECONDS = 90;

    private final Process process;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final Thread drainer;
    private final OutputStream stdin;
    /** Where in the output the next command's answer starts (just after the last prompt). */
    private int mark;

    /**
     * Starts {@code ./devhost} in {@code cwd} with its cache, deploy/ and conf/ in {@code own} (never
     * the checkout's) and waits for the first prompt.
     *
     * @param args more arguments ({@code name=value}), after the folders: later ones win
     */
    HostSession(Path own, Path cwd, String... args) throws Exception {
        this(java.util.Map.of(), own, cwd, args);
    }

    /** As {@link #HostSession(Path, Path, String...)}, with {@code env} added to the host's environment. */
    HostSession(java.util.Map<String, String> env, Path own, Path cwd, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("devhost").toString(),
                "org.osgi.framework.storage=" + own.resolve("cache"), "devhost.deploy=" + own.resolve("deploy"),
                "devhost.conf=" + own.resolve("conf")));
        cmd.addAll(List.of(args));
        if (System.getProperty("itest.devfs.transport") != null && cmd.stream().noneMatch(a -> a.startsWith("devhost.devfs.transport="))) {
            cmd.add("devhost.devfs.transport=" + System.getProperty("itest.devfs.transport")); // as HostOptions does
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true);
        pb.environment().put("DEVHOST_NO_BUILD", "1"); // the reactor built it already
        pb.environment().putAll(env);
        process = pb.start();
        stdin = process.getOutputStream();
        // a thread of its own, not a pool's: it reads for as long as the host runs
        drainer = new Thread(() -> {
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = process.getInputStream().read(buf)) > 0;) {
                    synchronized (out) {
                        out.write(buf, 0, n);
                    }
                }
            } catch (IOException ignored) {
                // the process went away
            }
        }, "devhost output of " + own);
        drainer.setDaemon(true);
        drainer.start();
        try {
            mark = awaitPrompt(0, "the first prompt");
        } catch (AssertionError | RuntimeException e) {
            process.destroyForcibly();
            throw e;
        }
    }

    /** Everything the host printed so far, line ends as {@code \n}. */
    String output() {
        synchronized (out) {
            return out.toString(StandardCharsets.UTF_8).replace("\r\n", "\n");
        }
    }

    /**
     * Types {@code command} and returns what it printed, up to the next prompt (line ends as
     * {@code \n}).
     */
    String run(String command) throws Exception {
        if (command.contains("\n")) {
            throw new IllegalArgumentException("one line at a time: " + command);
        }
        int from = mark;
        stdin.write((command + "\n").getBytes(StandardCharsets.UTF_8));
        stdin.flush();
        int end = awaitPrompt(from, "the prompt after '" + command + "'");
        mark = end;
        return output().substring(from, end - PROMPT.length());
    }

    /**
     * Waits until the output after {@code from} ends with a prompt; returns the output's length
     * then. A prompt counts where the shell prints one: at the start of a line, or right after
     * the last one (a command that printed nothing). Output that ends in "g! " elsewhere (text
     * without a final newline, or one cut where it contains those characters) counts only once
     * nothing more has come for a second.
     */
    private int awaitPrompt(int from, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
        int lastLength = -1;
        long quietSince = System.nanoTime();
        while (true) {
            String all = output();
            int at = all.length() - PROMPT.length();
            if (at >= from && all.endsWith(PROMPT)) {
                if (at == from || at == 0 || all.charAt(at - 1) == '\n'
                        || (all.length() == lastLength && System.nanoTime() - quietSince > 1_000_000_000L)) {
                    return all.length();
                }
            }
            if (all.length() != lastLength) {
                lastLength = all.length();
                quietSince = System.nanoTime();
            }
            if (!process.isAlive()) {
                throw new AssertionError("the host ended while waiting for " + what + "; it printed:\n" + all);
            }
            if (System.nanoTime() > deadline) {
                process.destroyForcibly();
                throw new AssertionError("no " + what + " within " + BOUND_SECONDS + " s; the host printed:\n" + all);
            }
            Thread.sleep(20);
        }
    }

    /** Runs {@code command} until its output passes {@code done}, bounded; returns that output. */
    String until(String command, java.util.function.Predicate<String> done) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
        String out;
        while (!done.test(out = run(command))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("'" + command + "' did not reach the state within " + BOUND_SECONDS
                        + " s; it printed:\n" + out + "\nthe host printed:\n" + output());
            }
            Thread.sleep(100);
        }
        return out;
    }

    /** A driver's jar in the distribution that ./devhost runs. */
    static String driverJar(String driver) throws Exception {
        try (java.util.stream.Stream<Path> s = Files.list(ROOT.resolve("host/launcher/target/devhost/drivers"))) {
            return s.filter(p -> p.getFileName().toString().startsWith("org.devhost.drivers." + driver + "-")).findFirst()
                    .orElseThrow(() -> new AssertionError("no " + driver + " jar in the distribution")).toString();
        }
    }

    /** Ends the input, as the end of a piped script does, and waits for the host to stop; returns its exit code. */
    int exit() throws Exception {
        stdin.close();
        if (!process.waitFor(BOUND_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the host did not stop within " + BOUND_SECONDS + " s of the end of its input;"
                    + " it printed:\n" + output());
        }
        drainer.join(TimeUnit.SECONDS.toMillis(10));
        return process.exitValue();
    }

    /** Kills a host that is still running (a test that failed half-way). */
    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            process.destroyForcibly().waitFor(BOUND_SECONDS, TimeUnit.SECONDS);
        }
    }
}
