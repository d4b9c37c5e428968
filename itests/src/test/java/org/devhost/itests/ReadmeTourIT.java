package org.devhost.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README.md's tour, run as a user runs it: the commands its blocks show, typed one after the other
 * into one {@code ./devhost} (stdin a pipe, the plain shell), and the {@code $} lines in a shell
 * beside it on the devfs mount; each command's output must be what the README shows under it. A
 * tour that drifts from what the host prints fails here, as WRITING-DRIVERS.md's code fails
 * {@link DriverProjectIT} when it drifts from the template.
 *
 * <p>The README marks each block to run with an HTML comment right before its fence (the comment
 * at the start of the tour says the same to its editors):
 *
 * <ul>
 *   <li>{@code <!-- tour -->}: run each command once, in order, and compare its output;
 *   <li>{@code <!-- tour: wait -->}: the state shown comes a moment later (a restart, the
 *       watchdog), so each command, which only looks, is run again until its output is the one
 *       shown, within {@link #WAIT_SECONDS}: a wait for the state, never a sleep for a time;
 *   <li>{@code <!-- tour: background -->}: a {@code $} command that blocks (as in a second
 *       terminal): it is started, the tour goes on, and after the next block it is awaited
 *       (bounded) and its output compared.
 * </ul>
 *
 * <p>In a block, {@code g! CMD} is a command typed at the host's prompt and {@code $ CMD} one run
 * by {@code sh} ({@code > } lines continue it); the lines under a command are its output, where
 * {@code ...} stands for any number of lines. Before comparing, both sides are masked alike where
 * a value differs from run to run or machine to machine, and only there ({@link #MASKS}): bundle
 * ids, the kernel log's uptimes, clock times, jar sizes in {@code dev:lsmod}, dd's times and
 * rates, devfs's thread numbers, the JDK's own stack frames (they differ between JDK 17 and 25),
 * milliseconds measured by the host, and the one line that says the class archive for isolated
 * modules was made (it comes once per build, at whatever moment the making ends); the test's
 * devfs mount is shown as {@code /run/devhost/dev} and the checkout as {@code <your checkout>}. A bundle id that a
 * command takes ({@code stop 20}) is the one the host printed where the README shows that id, as
 * a user reads it from {@code lb}.
 *
 * <p>Not checked, and why (their blocks carry no mark): {@code dev:hal}'s table (what serves
 * depends on the JDK that runs the host; {@code DevhostScriptIT} and {@code HalBackendIT} check
 * it); the moment of a restart ({@code EAGAIN}, {@code restarting}: it lasts a fraction of a
 * second, and no test can be sure to catch it); {@code dev:mounts} (its request counters and the kinds of request
 * depend on the kernel's caches and timing); the web console ({@code --web}, a browser:
 * {@code WebConsoleIT}); the interactive prompt's Tab completion and Ctrl-C (a terminal).
 *
 * <p>The tour needs what it shows: root (the files belong to root and the mount is root's),
 * {@code /dev/fuse} for devfs, {@code /dev/kvm} (hostdev's {@code host_kvm}; without it every
 * later misc minor moves) and {@code python3} for the ioctl from another program.
 */
class ReadmeTourIT {
    private static final Path ROOT = HostSession.ROOT;
    private static final long WAIT_SECONDS = 90;

    /** A command of a block and the lines the README shows as its output. */
    record Step(boolean host, String command, List<String> expected, int line) {}

    /** A marked block: its mode ("", "wait" or "background"), its first line in the README, its steps. */
    record Block(String mode, int line, List<Step> steps) {}

    /** What varies from run to run or machine to machine, masked alike on both sides. */
    static final List<Map.Entry<Pattern, String>> MASKS = List.of(
            // the kernel log's uptime: [    0.640000]
            Map.entry(Pattern.compile("^\\[\\s*\\d+\\.\\d+\\]", Pattern.MULTILINE), "[<uptime>]"),
            // bundle ids: "loaded (bundle 30)", modinfo's "bundle: NAME (30)", lb's "   20|Active"
            Map.entry(Pattern.compile("\\(bundle \\d+\\)"), "(bundle <id>)"),
            Map.entry(Pattern.compile("^(bundle:\\s+\\S+) \\(\\d+\\)$", Pattern.MULTILINE), "$1 (<id>)"),
            Map.entry(Pattern.compile("^ *\\d+\\|", Pattern.MULTILINE), "<id>|"),
            // clock times: modinfo's last failure (ISO-8601), ls -l's dates
            Map.entry(Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z"), "<time>"),
            Map.entry(Pattern.compile("\\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \\d]\\d (\\d\\d:\\d\\d| \\d{4})\\b"),
                    "<date>"),
            // the size of a module's jar (lsmod) moves with every change of the driver's code
            Map.entry(Pattern.compile("^(\\S+) +\\d+ +(live|restarting|failed) ", Pattern.MULTILINE), "$1 <size> $2 "),
            // dd's report, devhost's and coreutils': "copied, 0.041947 s, 1.6 GB/s"
            Map.entry(Pattern.compile("copied, [\\d.]+ s, [\\d.]+ [kMGT]?B/s"), "copied, <time>, <rate>"),
            // devfs's server threads are numbered as they start
            Map.entry(Pattern.compile("'devfs-\\d+'"), "'devfs-<n>'"),
            // a frame of the JDK's own: Thread.sleep is another method on JDK 25 than on 17, and
            // some builds name the module's version (java.base@17.0.15/...), others not
            Map.entry(Pattern.compile("java\\.base(@[^/\\s()]*)?/[^\\s()]+\\([^)]*\\)"), "<a JDK frame>"),
            // milliseconds the host measured ("revoked 200 ms ago")
            Map.entry(Pattern.compile("\\b\\d+ ms ago\\b"), "<n> ms ago"),
            // an isolated module's process: its pid (dev:ls's faulty[1234], "process 1234", "pid 1234"),
            // its memory and CPU time
            Map.entry(Pattern.compile("\\b(\\w+)\\[\\d+\\]"), "$1[<pid>]"),
            Map.entry(Pattern.compile("\\b(process|pid) \\d+\\b"), "$1 <pid>"),
            Map.entry(Pattern.compile("[\\d.]+ MiB resident, cpu [\\d.]+ s"), "<n> MiB resident, cpu <t> s"),
            // the host's line that it made the class archive for isolated modules: it comes once, when the
            // archive for this build is first needed, at whatever moment the making ends (a tour right
            // after a fresh build shows it in the middle of some command's output, later tours never)
            Map.entry(Pattern.compile("^.*class archive for isolated modules' processes made: .*\\n", Pattern.MULTILINE), ""),
            // a column as wide as its widest cell (a pid has 5 digits or 7): the gaps between columns,
            // not their widths, are compared
            Map.entry(Pattern.compile(" {2,}"), "  "));

    /** Where a README line shows a bundle id, so that the host's id can stand for it in later commands. */
    private static final List<Pattern> IDS = List.of(Pattern.compile("\\(bundle (\\d+)\\)"),
            Pattern.compile("^bundle:\\s+\\S+ \\((\\d+)\\)$"), Pattern.compile("^ *(\\d+)\\|"));

    /** Felix commands that take a bundle id. */
    private static final Pattern TAKES_ID = Pattern.compile("^(start|stop|update|uninstall|refresh|headers|inspect) (\\d+)$");

    private static final String NO_NEWLINE = "<no newline: the next prompt follows on the line above>";

    private static final Pattern MARKED = Pattern.compile("<!-- tour(?:: (wait|background))? -->\\n```text\\n(.*?)```",
            Pattern.DOTALL);

    @TempDir
    Path tmp;

    /** The README's marked blocks, in order. */
    static List<Block> blocks(String readme) {
        List<Block> blocks = new ArrayList<>();
        Matcher m = MARKED.matcher(readme);
        while (m.find()) {
            int first = lineOf(readme, m.start(2));
            List<String> lines = Arrays.asList(m.group(2).split("\n", -1));
            lines = lines.subList(0, lines.size() - 1); // the fence's line end
            List<Step> steps = new ArrayList<>();
            for (int i = 0; i < lines.size(); i++) {
                String l = lines.get(i);
                boolean host = l.startsWith(HostSession.PROMPT);
                if (host || l.startsWith("$ ")) {
                    int line = first + i;
                    StringBuilder command = new StringBuilder(l.substring(host ? HostSession.PROMPT.length() : 2));
                    while (!host && i + 1 < lines.size() && lines.get(i + 1).startsWith("> ")) {
                        command.append('\n').append(lines.get(++i).substring(2));
                    }
                    steps.add(new Step(host, command.toString(), new ArrayList<>(), line));
                } else if (steps.isEmpty()) {
                    throw new AssertionError("README.md line " + (first + i) + ": a tour block starts with a command"
                            + " (g! or $), not with '" + l + "'");
                } else {
                    steps.get(steps.size() - 1).expected().add(l);
                }
            }
            if (steps.isEmpty()) {
                throw new AssertionError("README.md line " + first + ": a tour block without a command");
            }
            blocks.add(new Block(m.group(1) == null ? "" : m.group(1), first, steps));
        }
        // a mark this test does not know (a typo, another fence) would leave its block unchecked
        long marks = Pattern.compile("<!-- tour").matcher(readme).results().count();
        if (marks != blocks.size()) {
            throw new AssertionError(marks + " tour marks in README.md, but " + blocks.size() + " of them are '<!-- tour -->',"
                    + " '<!-- tour: wait -->' or '<!-- tour: background -->' right before a ```text fence");
        }
        return blocks;
    }

    private static int lineOf(String text, int offset) {
        int line = 1;
        for (int i = 0; i < offset; i++) {
            if (text.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }

    /** {@code text} with every mask applied and trailing blanks of lines dropped. */
    static String mask(String text) {
        for (Map.Entry<Pattern, String> m : MASKS) {
            text = m.getKey().matcher(text).replaceAll(m.getValue());
        }
        return text.replaceAll("[ \\t]+(?=\\n|$)", "");
    }

    /** Whether {@code actual} is {@code expected} line for line, a "..." line standing for any lines. */
    static boolean matches(List<String> expected, List<String> actual) {
        // reach[j]: the expected lines so far can end just before actual line j
        boolean[] reach = new boolean[actual.size() + 1];
        reach[0] = true;
        for (String e : expected) {
            boolean[] next = new boolean[actual.size() + 1];
            for (int j = 0; j <= actual.size(); j++) {
                if (!reach[j]) {
                    continue;
                }
                if (e.equals("...")) {
                    Arrays.fill(next, j, actual.size() + 1, true);
                    break;
                }
                if (j < actual.size() && e.equals(actual.get(j))) {
                    next[j + 1] = true;
                }
            }
            reach = next;
        }
        return reach[actual.size()];
    }

    /** The lines of {@code text} (the last one's newline, when it has one, is no line of its own). */
    private static List<String> lines(String text) {
        List<String> l = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
        if (l.get(l.size() - 1).isEmpty()) {
            l.remove(l.size() - 1);
        }
        return l;
    }

    /** The lines as the text they were, each with its newline. */
    private static String text(List<String> lines) {
        StringBuilder sb = new StringBuilder();
        lines.forEach(l -> sb.append(l).append('\n'));
        return sb.toString();
    }

    @Test
    void theTourShowsWhatTheHostPrints() throws Exception {
        String readme = Files.readString(ROOT.resolve("README.md"));
        List<Block> blocks = blocks(readme);
        assertTrue(blocks.size() >= 10, "the tour's marked blocks are found: " + blocks.size());
        assertTrue(blocks.stream().anyMatch(b -> b.mode().equals("wait")) && blocks.stream().anyMatch(b -> b.mode()
                .equals("background")), "every kind of block is there");

        assumeTrue("root".equals(System.getProperty("user.name")), "the tour is root's (its files belong to root)");
        Needs.that(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse: the tour reads devices through devfs");
        assumeTrue(Files.exists(Path.of("/dev/kvm")), "no /dev/kvm: the tour shows host_kvm, and without it the misc"
                + " minors after it move");
        Needs.that(shell("command -v python3", tmp).code() == 0, "no python3: the tour's ioctl from another program is Python");

        Path mount = tmp.resolve("mnt/dev");
        Tour tour = new Tour(mount);
        try (HostSession host = new HostSession(tmp, ROOT, "devhost.devfs.mount=" + mount)) {
            tour.host = host;
            for (Block b : blocks) {
                tour.run(b);
            }
            tour.awaitBackground();
            assertEquals(0, host.exit(), host.output());
        } finally {
            tour.killBackground();
            if (Files.readString(Path.of("/proc/self/mountinfo")).contains(" " + mount + " ")) {
                shell("umount -l " + mount, tmp); // a host that was killed leaves its mount
            }
        }
    }

    /** One run of the tour: the host, the $ commands still running, the ids seen. */
    private final class Tour {
        final Path mount;
        HostSession host;
        /** The README's bundle ids to the host's, as the outputs showed them. */
        final Map<String, String> ids = new HashMap<>();
        final List<Background> background = new ArrayList<>();

        Tour(Path mount) {
            this.mount = mount;
        }

        void run(Block b) throws Exception {
            for (Step s : b.steps()) {
                if (b.mode().equals("background")) {
                    background.add(start(s));
                    continue;
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
                while (true) {
                    String printed = s.host() ? host.run(command(s)) : shell(command(s), tmp).output();
                    List<String> actual = printedLines(printed);
                    List<String> expected = lines(mask(text(s.expected())));
                    if (matches(expected, actual)) {
                        learnIds(s.expected(), lines(shown(printed)));
                        break;
                    }
                    if (!b.mode().equals("wait") || System.nanoTime() > deadline) {
                        failed(b, s, expected, actual, printed);
                    }
                    Thread.sleep(100); // and ask again: the state comes a moment later
                }
            }
            if (!b.mode().equals("background")) {
                awaitBackground();
            }
        }

        /** The command as the user types it: the host's bundle id where the README shows its own. */
        String command(Step s) {
            Matcher m = TAKES_ID.matcher(s.command());
            if (s.host() && m.matches() && ids.containsKey(m.group(2))) {
                return m.group(1) + " " + ids.get(m.group(2));
            }
            return s.host() ? s.command() : s.command().replace("/run/devhost/dev", mount.toString());
        }

        /** What the host printed, as the README shows it: the test's mount and checkout replaced. */
        String shown(String printed) {
            return printed.replace(mount.toString(), "/run/devhost/dev").replace(ROOT.toString(), "/<your checkout>");
        }

        /**
         * The lines printed, masked. Output whose last line has no newline is shown so: at a
         * terminal the next prompt would follow on that line (as "0000000dg! " did), which the
         * README, showing the prompt on a line of its own, does not show.
         */
        List<String> printedLines(String printed) {
            List<String> l = lines(mask(shown(printed)));
            if (!printed.isEmpty() && !printed.endsWith("\n")) {
                l.add(NO_NEWLINE);
            }
            return l;
        }

        /** Remembers which id the host printed where the README shows one (the lines matched one to one). */
        void learnIds(List<String> expected, List<String> actual) {
            if (expected.contains("...") || expected.size() != actual.size()) {
                return;
            }
            for (int i = 0; i < expected.size(); i++) {
                for (Pattern p : IDS) {
                    Matcher e = p.matcher(expected.get(i));
                    Matcher a = p.matcher(actual.get(i));
                    if (e.find() && a.find()) {
                        ids.put(e.group(1), a.group(1));
                    }
                }
            }
        }

        Background start(Step s) throws IOException {
            Path out = Files.createTempFile(tmp, "bg", ".out");
            ProcessBuilder pb = new ProcessBuilder("sh", "-c", command(s)).directory(tmp.toFile()).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().put("LC_ALL", "C");
            return new Background(s, pb.start(), out);
        }

        void awaitBackground() throws Exception {
            for (Background bg : background) {
                if (!bg.process().waitFor(WAIT_SECONDS, TimeUnit.SECONDS)) {
                    bg.process().destroyForcibly();
                    fail("README.md line " + bg.step().line() + ": '" + bg.step().command() + "' did not end within "
                            + WAIT_SECONDS + " s; the host printed:\n" + host.output());
                }
                String printed = Files.readString(bg.output());
                List<String> actual = printedLines(printed);
                List<String> expected = lines(mask(text(bg.step().expected())));
                if (!matches(expected, actual)) {
                    failed(null, bg.step(), expected, actual, printed);
                }
            }
            background.clear();
        }

        void killBackground() {
            background.forEach(bg -> bg.process().destroyForcibly());
        }

        void failed(Block b, Step s, List<String> expected, List<String> actual, String printed) {
            String where = "README.md line " + s.line() + ": '" + s.command() + "' printed what the tour does not show"
                    + (b != null && b.mode().equals("wait") ? " (asked again for " + WAIT_SECONDS + " s)" : "")
                    + " (masked; '...' is any lines)";
            if (!expected.contains("...")) {
                assertEquals(String.join("\n", expected), String.join("\n", actual), where);
            }
            fail(where + "\n--- the README shows:\n" + String.join("\n", expected) + "\n--- the host printed:\n"
                    + String.join("\n", actual) + "\n--- unmasked:\n" + printed);
        }
    }

    /** A $ command running beside the tour, and the file its output goes to. */
    private record Background(Step step, Process process, Path output) {}

    private record Result(int code, String output) {}

    /**
     * Runs {@code script} in sh, bounded, as a second terminal would (C locale: ls sorts and dates
     * as shown). Its output goes to a file, so that no reader thread can be left waiting on a pipe
     * that a child of the script still holds.
     */
    private static Result shell(String script, Path cwd) throws Exception {
        Path out = Files.createTempFile(cwd, "sh", ".out");
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", script).directory(cwd.toFile()).redirectErrorStream(true)
                .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("LC_ALL", "C");
        Process p = pb.start();
        if (!p.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("'" + script + "' did not end within " + WAIT_SECONDS + " s; it printed:\n"
                    + Files.readString(out));
        }
        return new Result(p.exitValue(), Files.readString(out));
    }
}
