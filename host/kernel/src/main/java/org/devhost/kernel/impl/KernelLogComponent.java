package org.devhost.kernel.impl;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.devhost.kernel.KernLevel;
import org.devhost.kernel.KernelLog;
import org.devhost.kernel.LogLine;
import org.devhost.kernel.ModuleInfo;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.SynchronousBundleListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogLevel;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;
import org.osgi.service.log.Logger;
import org.osgi.service.log.admin.LoggerAdmin;

/**
 * The kernel log ring buffer, filled from the OSGi Log Service.
 *
 * <p>What goes in: everything from driver modules (which get DEBUG level, so {@code pr_debug}
 * lines are kept), and WARN and up from everyone else. SCR's own tracing of a driver's components
 * ("bundle x:1.0 (12)[...] : ...") and the framework's event chatter stay out below WARN, so the
 * ring holds what drivers and the kernel said.
 */
@Component(service = KernelLog.class, immediate = true)
public final class KernelLogComponent implements KernelLog, LogListener, SynchronousBundleListener {
    static final int CAPACITY = 2048;

    private final LogRing ring = new LogRing(CAPACITY);
    private BundleContext context;

    private volatile LoggerAdmin loggerAdmin;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void setLoggerAdmin(LoggerAdmin admin) {
        loggerAdmin = admin;
        BundleContext c = context;
        if (c != null) {
            for (Bundle b : c.getBundles()) {
                debugLevelForModules(b);
            }
        }
    }

    void unsetLoggerAdmin(LoggerAdmin admin) {
        if (loggerAdmin == admin) {
            loggerAdmin = null;
        }
    }

    @Activate
    void activate(BundleContext context) {
        this.context = context;
        context.addBundleListener(this);
        for (Bundle b : context.getBundles()) {
            debugLevelForModules(b);
        }
    }

    @Deactivate
    void deactivate() {
        context.removeBundleListener(this);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addReader(LogReaderService reader) {
        reader.addLogListener(this);
    }

    void removeReader(LogReaderService reader) {
        reader.removeLogListener(this);
    }

    /** Before a driver starts, let its loggers log at DEBUG. */
    @Override
    public void bundleChanged(BundleEvent event) {
        if (event.getType() == BundleEvent.RESOLVED) {
            debugLevelForModules(event.getBundle());
        }
    }

    private void debugLevelForModules(Bundle b) {
        LoggerAdmin admin = loggerAdmin;
        if (admin != null && b.getSymbolicName() != null && ModuleInfo.of(b).isPresent()) {
            admin.getLoggerContext(b.getSymbolicName()).setLogLevels(Map.of(Logger.ROOT_LOGGER_NAME, LogLevel.DEBUG));
        }
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
