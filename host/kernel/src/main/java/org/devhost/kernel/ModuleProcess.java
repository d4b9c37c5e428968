package org.devhost.kernel;

import java.time.Duration;

/**
 * The process an isolated module runs in ({@link ModuleManager#load(String, java.util.Map, String,
 * boolean)}), as {@code dev:lsmod} and {@code dev:modinfo} show it. A snapshot: the process may
 * have ended since. Immutable.
 *
 * @param pid its process id
 * @param residentBytes its resident memory (VmRSS), 0 when it cannot be read
 * @param cpu the CPU time it has used, user and system, {@link Duration#ZERO} when unknown
 * @since 1.7
 */
public record ModuleProcess(long pid, long residentBytes, Duration cpu) {
    /** One line: {@code pid 1234, 41.2 MiB resident, cpu 1.23 s}. */
    public String summary() {
        return String.format(java.util.Locale.ROOT, "pid %d, %.1f MiB resident, cpu %.2f s", pid,
                residentBytes / (1024.0 * 1024.0), cpu.toNanos() / 1e9);
    }
}
