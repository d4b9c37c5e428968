package org.devhost.hal.common;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Waits until a thread is really parked in {@code poll(2)}: the kernel's view of it
 * ({@code /proc/self/task/<tid>/syscall}), found by its name ({@code comm}, which HotSpot sets from
 * the Java thread name). A thread blocked in native code shows RUNNABLE to Java, so this is the
 * state to wait for.
 */
final class Parked {
    /** poll and ppoll on x86-64; ppoll on aarch64. */
    private static final Set<String> POLL = "aarch64".equals(System.getProperty("os.arch")) ? Set.of("73") : Set.of("7", "271");

    private Parked() {}

    static void awaitInPoll(Thread t) throws IOException, InterruptedException {
        String comm = t.getName().length() > 15 ? t.getName().substring(0, 15) : t.getName();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            if (!t.isAlive()) {
                throw new AssertionError(t.getName() + " ended before it parked in poll");
            }
            String state = syscall(comm);
            if (state != null && POLL.contains(state.split(" ")[0])) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after 10 s waiting for " + t.getName() + " to park in poll; its syscall: " + state);
            }
            Thread.sleep(5);
        }
    }

    private static String syscall(String comm) throws IOException {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    if (Files.readString(task.resolve("comm")).trim().equals(comm)) {
                        return Files.readString(task.resolve("syscall")).trim();
                    }
                } catch (IOException gone) {
                    // a thread that ended while we listed
                }
            }
        }
        return null;
    }
}
