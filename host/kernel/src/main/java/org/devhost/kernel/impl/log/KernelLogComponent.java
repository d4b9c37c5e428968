package org.devhost.kernel.impl.log;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.log.admin.LoggerAdmin;
import org.osgi.service.log.admin.LoggerContext;

/**
 * The kernel log ring buffer, filled from the OSGi Log Service.
 *
 * <p>What goes in: what the Log Service passes (INFO and up in the host; {@link
 * org.devhost.kernel.Printk} marks debug lines so they pass too). SCR's tracing of components
 * ("bundle x:1.0 (12)[...] : ...") and the framework's event chatter stay out below WARN, so the
 * ring holds what drivers and the kernel said. Each line is filed under its module ({@link
 * LogSources}), also when it arrives after its bundle was uninstalled.
 *
 * <p>Order guarantee: {@link #lines()} holds every line logged, by any thread, before it was
 * called ({@link LogBarrier}), so {@code dev:dmesg} right after {@code dev:insmod} or {@code
 * dev:rmmod} shows what init or drop said. The barrier's marker goes out at DEBUG under {@link
 * #BARRIER_LOGGER}, which this component enables in the kernel bundle's logger context; the Log
 * Service stores no DEBUG entries, so markers appear nowhere.
 */
@Component(service = KernelLog.class, immediate = true)
public final class KernelLogComponent implements KernelLog, LogListener, SynchronousBundleListener {
    public static final int CAPACITY = 2048;
    public static final long CAPACITY_BYTES = 1 << 20;
    static final String BARRIER_LOGGER = "devhost.kernel.log.barrier";
    /** How long {@link #lines()} waits for its marker before giving up on the barrier. */
    static final long BARRIER_TIMEOUT_MILLIS = 2000;

    private final LogRing ring = new LogRing(CAPACITY, CAPACITY_BYTES);
    private final LogSources sources = new LogSources();
    private final LogBarrier barrier = new LogBarrier(BARRIER_TIMEOUT_MILLIS);
    private final BundleContext context;
    private volatile Logger marker;

    @Activate
    public KernelLogComponent(BundleContext context) {
        this.context = context;
        // Listen first, then read: a bundle resolved in between is learned twice, never missed.
        context.addBundleListener(this);
        for (Bundle b : context.getBundles()) {
            learn(b);
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

    /** The logger the barrier's markers go out on, with DEBUG enabled for that name alone. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void setLoggerAdmin(LoggerAdmin admin) {
        LoggerContext kernel = admin.getLoggerContext(context.getBundle().getSymbolicName());
        Map<String, LogLevel> levels = new HashMap<>(kernel.getLogLevels());
        levels.put(BARRIER_LOGGER, LogLevel.DEBUG);
        kernel.setLogLevels(levels);
    }

    void unsetLoggerAdmin(LoggerAdmin admin) {
        // the level stays set; it only enables the marker logger's DEBUG lines
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void setLoggerFactory(LoggerFactory factory) {
        marker = factory.getLogger(BARRIER_LOGGER);
    }

    void unsetLoggerFactory(LoggerFactory factory) {
        marker = null;
    }

    @Override
    public void bundleChanged(BundleEvent event) {
        // RESOLVED comes before any code of the bundle runs, and again after an update.
        if (event.getType() == BundleEvent.RESOLVED) {
            learn(event.getBundle());
        }
    }

    private void learn(Bundle b) {
        if (b.getState() != Bundle.UNINSTALLED && b.getState() != Bundle.INSTALLED) {
            sources.learn(b.getBundleId(), ModuleInfo.of(b).map(ModuleInfo::name));
        }
    }

    @Override
    public void logged(LogEntry entry) {
        LogLevel level = entry.getLogLevel();
        Bundle bundle = entry.getBundle();
        String message = entry.getMessage();
        if (BARRIER_LOGGER.equals(entry.getLoggerName()) && bundle != null && bundle.getBundleId() == context.getBundle().getBundleId()) {
            try {
                barrier.arrived(Long.parseLong(message));
            } catch (NumberFormatException notAMarker) {
                // something else logged under the marker's name: not a marker, not a kernel line
            }
            return;
        }
        if (message == null) {
            message = "";
        }
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
        String source = bundle == null ? sources.source(-1, null, entry.getLoggerName(), null)
                : sources.source(bundle.getBundleId(), bundle.getSymbolicName(), entry.getLoggerName(),
                        () -> ModuleInfo.of(bundle).map(ModuleInfo::name));
        ring.add(entry.getTime(), kernLevel(level), source, message);
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

    /** Every line logged before this call, by any thread, oldest first (see the class comment). */
    @Override
    public List<LogLine> lines() {
        catchUp();
        return ring.lines();
    }

    /** Forgets every line logged before this call. */
    @Override
    public void clear() {
        catchUp();
        ring.clear();
    }

    /** Every line logged before this call, which it also forgets ({@code dmesg -c}). */
    @Override
    public List<LogLine> readClear() {
        catchUp();
        return ring.readClear();
    }

    /** Waits until every line logged before now is in the ring (see the class comment). */
    private void catchUp() {
        Logger m = marker;
        if (m != null) {
            barrier.await(n -> m.debug(Long.toString(n)));
        }
    }
}
