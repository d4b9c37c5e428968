package org.devhost.kernel.impl.log;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.osgi.service.log.Logger;

/**
 * Who said a kernel log line: the name {@code dev:dmesg} files it under.
 *
 * <p>Why it remembers: the Log Service delivers entries on its own thread, so a driver's last lines
 * (from {@code drop()}) often reach the kernel log after its bundle is uninstalled, when the
 * bundle's manifest capability (its module name) can no longer be read. The kernel learns each
 * bundle's module name while the bundle is resolved (a synchronous bundle listener) and keeps it,
 * by bundle id, after the bundle is gone. Bundle ids are never reused by a framework, so a
 * remembered name cannot be given to another bundle. At most {@link #REMEMBERED} bundles are
 * remembered, the least recently seen forgotten first.
 *
 * <p>Rules, in order: a bundle that is a driver module is its module name; the kernel's own lines
 * about a module are logged under the module's name (a logger name without dots), and are filed
 * there; anything else is the bundle's symbolic name; a line with no bundle is its logger's name.
 * Thread-safe.
 */
final class LogSources {
    static final int REMEMBERED = 4096;
    static final String KERNEL_BUNDLE = "org.devhost.kernel";
    /** The remembered value of a bundle that is not a driver module. */
    private static final String NOT_A_MODULE = "";

    private final Map<Long, String> modules = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, String> eldest) {
            return size() > REMEMBERED;
        }
    };

    /** Records what a bundle is, while its manifest can still be read (empty: not a driver module). */
    synchronized void learn(long bundleId, Optional<String> module) {
        modules.put(bundleId, module.orElse(NOT_A_MODULE));
    }

    /**
     * The name a line is filed under.
     *
     * @param bundleId the bundle that logged it, or -1 for none
     * @param module reads the bundle's module name now; asked only when nothing is remembered
     */
    String source(long bundleId, String symbolicName, String logger, Supplier<Optional<String>> module) {
        if (bundleId < 0) {
            return logger == null ? "?" : logger;
        }
        String known;
        synchronized (this) {
            known = modules.get(bundleId);
        }
        if (known == null) {
            Optional<String> now = module.get();
            if (now.isPresent()) {
                learn(bundleId, now);
            }
            known = now.orElse(NOT_A_MODULE);
        }
        if (!known.isEmpty()) {
            return known;
        }
        if (KERNEL_BUNDLE.equals(symbolicName) && logger != null && !logger.contains(".")
                && !logger.equals(Logger.ROOT_LOGGER_NAME)) {
            return logger;
        }
        return symbolicName;
    }
}
