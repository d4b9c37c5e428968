package org.devhost.bench;

import org.devhost.hal.common.HostHal;
import org.devhost.hal.common.Syscalls;

/**
 * Prints which HAL backend the benchmarks' HAL uses on this JDK and class path, as {@code
 * <ffm|jna>,<description>}: what bench/run passes to {@link Report}, so the report names the
 * backend it measured rather than guessing it from the JDK's version.
 */
public final class Backend {
    private Backend() {}

    public static void main(String[] args) {
        Syscalls s = HostHal.defaultSyscalls();
        System.out.println((s.getClass().getName().contains(".ffm.") ? "ffm" : "jna") + "," + s.description());
    }
}
