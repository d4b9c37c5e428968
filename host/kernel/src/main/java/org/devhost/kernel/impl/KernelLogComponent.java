package org.devhost.kernel.impl;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Optional;
import org.devhost.kernel.KernLevel;
import org.devhost.kernel.KernelLog;
import org.devhost.kernel.LogLine;
import org.devhost.kernel.ModuleInfo;
import org.osgi.framework.Bundle;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogLevel;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;
import org.osgi.service.log.Logger;

/**
 * The kernel log ring buffer, filled from the OSGi Log Service.
 *
 * <p>What goes in: what the Log Service passes (INFO and up in the host; {@link
 * org.devhost.kernel.Printk} marks debug lines so they pass too). SCR's tracing of components
 * ("bundle x:1.0 (12)[...] : ...") and the framework's event chatter stay out below WARN, so the
 * ring holds what drivers and the kernel said.
 */
@Component(service = KernelLog.class, immediate = true)
public final class KernelLogComponent implements KernelLog, LogListener {
    static final int CAPACITY = 2048;

    private final LogRing ring = new LogRing(CAPACITY);
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
        Bundle bundle = entry.getBundle();
        String message = entry.getMessage();
        // LogLevel.WARN.implies(x): x is WARN or more severe (ERROR, AUDIT)
        if (!LogLevel.WARN.implies(level)) {
            String logger = entry.getLoggerName();
            boolean chatter = (logger != null && logger.startsWith("Events."))
                    || (bundle != null && message.startsWith("bundle " + bundle.getSymbolicName() + ":"));
            if (chatter) {
                return;
            }
        }
        Throwable t = entry.getException();
        if (t != null) {
            StringWriter w = new StringWriter();
            t.printStackTrace(new PrintWriter(w));
            message = message + "\n" + w.toString().stripTrailing();
        }
        ring.add(entry.getTime(), kernLevel(level), source(bundle, entry.getLoggerName()), message);
    }

    static KernLevel kernLevel(LogLevel level) {
        return switch (level) {
            case AUDIT -> KernLevel.NOTICE;
            case ERROR -> KernLevel.ERR;
            case WARN -> KernLevel.WARNING;
            case INFO -> KernLevel.INFO;
            default -> KernLevel.DEBUG;
        };
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
            if ("org.devhost.kernel".equals(bundle.getSymbolicName()) && logger != null && !logger.contains(".")
                    && !logger.equals(Logger.ROOT_LOGGER_NAME)) {
                return logger;
            }
            return bundle.getSymbolicName();
        }
        return logger == null ? "?" : logger;
    }

    @Override
    public List<LogLine> lines() {
        return ring.lines();
    }

    @Override
    public void clear() {
        ring.clear();
    }
}
