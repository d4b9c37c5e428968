package org.devhost.kernel.impl;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import org.devhost.kernel.KernelLog;
import java.util.Optional;
import org.devhost.kernel.ModuleInfo;
import org.devhost.kernel.LogLine;
import org.osgi.framework.Bundle;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogLevel;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;

/**
 * The kernel log ring buffer, filled from the OSGi Log Service. Keeps the newest {@value #CAPACITY}
 * lines; the framework's own event chatter (service and bundle events below WARN) is left out so
 * that the ring holds what drivers and the kernel said. Guarded by {@code ring}.
 */
@Component(service = KernelLog.class, immediate = true)
public final class KernelLogComponent implements KernelLog, LogListener {
    static final int CAPACITY = 2048;

    private final ArrayDeque<LogLine> ring = new ArrayDeque<>(CAPACITY);
    private long startMillis;
    private long sequence;

    @Activate
    void activate() {
        startMillis = System.currentTimeMillis();
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addReader(LogReaderService reader) {
        reader.addLogListener(this);
    }

    void removeReader(LogReaderService reader) {
        reader.removeLogListener(this);
    }

    @Override
    public void logged(LogEntry entry) {
        LogLevel level = entry.getLogLevel();
        String logger = entry.getLoggerName();
        if (logger != null && logger.startsWith("Events.") && !level.implies(LogLevel.WARN)) {
            return;
        }
        String message = entry.getMessage();
        Throwable t = entry.getException();
        if (t != null) {
            StringWriter w = new StringWriter();
            t.printStackTrace(new PrintWriter(w));
            message = message + "\n" + w.toString().stripTrailing();
        }
        String source = source(entry.getBundle(), logger);
        synchronized (ring) {
            if (ring.size() == CAPACITY) {
                ring.removeFirst();
            }
            long up = Math.max(0, entry.getTime() - startMillis) * 1_000_000L;
            ring.addLast(new LogLine(++sequence, Instant.ofEpochMilli(entry.getTime()), up, level.name(), source, message));
        }
    }

    /**
     * Who said it: a driver's module name; for the kernel's own lines about a module, that module
     * (the kernel logs under the module's name); otherwise the bundle's symbolic name.
     */
    private static String source(Bundle bundle, String logger) {
        if (bundle != null) {
            Optional<ModuleInfo> module = ModuleInfo.of(bundle);
            if (module.isPresent()) {
                return module.get().name();
            }
            if ("org.devhost.kernel".equals(bundle.getSymbolicName()) && logger != null && !logger.contains(".")) {
                return logger;
            }
            return bundle.getSymbolicName();
        }
        return logger == null ? "?" : logger;
    }

    @Override
    public List<LogLine> lines() {
        synchronized (ring) {
            return List.copyOf(ring);
        }
    }

    @Override
    public void clear() {
        synchronized (ring) {
            ring.clear();
        }
    }
}
