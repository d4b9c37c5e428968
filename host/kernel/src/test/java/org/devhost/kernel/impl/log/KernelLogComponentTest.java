package org.devhost.kernel.impl.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.devhost.kernel.KernLevel;
import org.devhost.kernel.LogLine;
import org.devhost.kernel.impl.FakeFramework.FakeBundle;
import org.devhost.kernel.impl.FakeFramework;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleEvent;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogLevel;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.log.admin.LoggerAdmin;
import org.osgi.service.log.admin.LoggerContext;

/** dmesg's ring as the Log Service fills it: what goes in, under which module, and that it is current when read. */
@Timeout(30)
public class KernelLogComponentTest {
    private final FakeFramework fw = new FakeFramework();
    private final ExecutorService delivery = Executors.newSingleThreadExecutor(r -> new Thread(r, "log delivery"));

    @AfterEach
    void stop() {
        delivery.shutdownNow();
    }

    public static LogEntry entry(LogLevel level, Bundle bundle, String logger, String message, Throwable error) {
        return FakeFramework.proxy(LogEntry.class, (p, m, a) -> switch (m.getName()) {
            case "getLogLevel" -> level;
            case "getBundle" -> bundle;
            case "getLoggerName" -> logger;
            case "getMessage" -> message;
            case "getException" -> error;
            case "getTime" -> 1_000L;
            default -> FakeFramework.standard(p, m.getName(), a, "entry");
        });
    }

    private static List<String> text(List<LogLine> lines) {
        return lines.stream().map(l -> l.level() + " " + l.source() + ": " + l.message()).toList();
    }

    @Test
    void driversLinesAreFiledUnderTheirModuleAndFrameworkChatterBelowWarnStaysOut() {
        FakeBundle scull = fw.module("scull");
        scull.state = Bundle.ACTIVE;
        KernelLogComponent log = new KernelLogComponent(fw.context);
        assertEquals(List.of(log), fw.listeners, "listens for bundles from the start");
        log.logged(entry(LogLevel.ERROR, scull.bundle, "org.devhost.drivers.scull.Scull", "no memory", null));
        log.logged(entry(LogLevel.INFO, scull.bundle, "x", "bundle org.devhost.drivers.scull:1.0.0 (3)[Scull(1)] : activating", null));
        log.logged(entry(LogLevel.WARN, scull.bundle, "x", "bundle org.devhost.drivers.scull:1.0.0 (3) : something odd", null));
        log.logged(entry(LogLevel.INFO, null, "Events.Service", "service event", null));
        log.logged(entry(LogLevel.INFO, null, "Events.Framework", "started", null));
        log.logged(entry(LogLevel.AUDIT, scull.bundle, "x", null, null));
        log.logged(entry(LogLevel.DEBUG, null, "kernel", "printk debug", null));
        log.logged(entry(LogLevel.WARN, null, "Events.Service", "a warning is kept", null));
        log.logged(entry(LogLevel.INFO, fw.plain("org.example.lib").bundle, null, "from a library", null));
        assertEquals(List.of("ERR scull: no memory", "WARNING scull: bundle org.devhost.drivers.scull:1.0.0 (3) : something odd",
                "NOTICE scull: ", "DEBUG kernel: printk debug", "WARNING Events.Service: a warning is kept",
                "INFO org.example.lib: from a library"), text(log.lines()));

        log.logged(entry(LogLevel.ERROR, scull.bundle, "x", "init failed", new IllegalStateException("boom")));
        String last = log.lines().get(6).message();
        assertTrue(last.startsWith("init failed\njava.lang.IllegalStateException: boom\n\tat "), last);
        assertFalse(last.endsWith("\n"));

        assertEquals(7, log.readClear().size());
        assertTrue(log.lines().isEmpty());
        log.logged(entry(LogLevel.INFO, scull.bundle, "x", "again", null));
        log.clear();
        assertTrue(log.lines().isEmpty());

        log.deactivate();
        assertTrue(fw.listeners.isEmpty());
    }

    @Test
    void theLevelsMapToTheKernelsLevels() {
        assertEquals(KernLevel.NOTICE, KernelLogComponent.kernLevel(LogLevel.AUDIT));
        assertEquals(KernLevel.ERR, KernelLogComponent.kernLevel(LogLevel.ERROR));
        assertEquals(KernLevel.WARNING, KernelLogComponent.kernLevel(LogLevel.WARN));
        assertEquals(KernLevel.INFO, KernelLogComponent.kernLevel(LogLevel.INFO));
        assertEquals(KernLevel.DEBUG, KernelLogComponent.kernLevel(LogLevel.DEBUG));
        assertEquals(KernLevel.DEBUG, KernelLogComponent.kernLevel(LogLevel.TRACE));
    }

    @Test
    void aLineLoggedBeforeDmesgIsInWhatDmesgShowsEvenWhileTheLogServiceIsBehind() throws Exception {
        KernelLogComponent log = new KernelLogComponent(fw.context);
        FakeBundle scull = fw.module("scull");
        scull.state = Bundle.ACTIVE;
        // The Log Service's delivery thread is behind: it delivers nothing until the marker is out.
        CountDownLatch behind = new CountDownLatch(1);
        delivery.execute(() -> {
            try {
                behind.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        delivery.execute(() -> log.logged(entry(LogLevel.INFO, scull.bundle, "x", "said at init", null)));
        Logger marker = FakeFramework.proxy(Logger.class, (p, m, a) -> {
            if (m.getName().equals("debug")) {
                String n = (String) a[0];
                delivery.execute(() -> log.logged(entry(LogLevel.DEBUG, fw.kernel.bundle, KernelLogComponent.BARRIER_LOGGER, n, null)));
                behind.countDown();
                return null;
            }
            return FakeFramework.standard(p, m.getName(), a, "marker logger");
        });
        AtomicReference<String> asked = new AtomicReference<>();
        log.setLoggerFactory(FakeFramework.proxy(LoggerFactory.class, (p, m, a) -> {
            asked.set((String) a[0]);
            return marker;
        }));
        assertEquals(KernelLogComponent.BARRIER_LOGGER, asked.get());
        assertEquals(List.of("INFO scull: said at init"), text(log.lines()), "the marker is never a line");

        // something else under the marker's name from the kernel bundle is not a marker, and not a line either
        log.logged(entry(LogLevel.DEBUG, fw.kernel.bundle, KernelLogComponent.BARRIER_LOGGER, "not a number", null));
        log.unsetLoggerFactory(null);
        assertEquals(1, log.lines().size());
    }

    @Test
    void theMarkerLoggerIsEnabledAtDebugInTheKernelsLoggerContextAndReadersFeedTheRing() {
        KernelLogComponent log = new KernelLogComponent(fw.context);
        Map<String, LogLevel> levels = new HashMap<>(Map.of("other", LogLevel.WARN));
        AtomicReference<String> contextOf = new AtomicReference<>();
        LoggerContext ctx = FakeFramework.proxy(LoggerContext.class, (p, m, a) -> switch (m.getName()) {
            case "getLogLevels" -> Map.copyOf(levels);
            case "setLogLevels" -> {
                levels.clear();
                levels.putAll((Map<String, LogLevel>) a[0]);
                yield null;
            }
            default -> FakeFramework.standard(p, m.getName(), a, "logger context");
        });
        log.setLoggerAdmin(FakeFramework.proxy(LoggerAdmin.class, (p, m, a) -> {
            contextOf.set((String) a[0]);
            return ctx;
        }));
        log.unsetLoggerAdmin(null);
        assertEquals("org.devhost.kernel", contextOf.get());
        assertEquals(Map.of("other", LogLevel.WARN, KernelLogComponent.BARRIER_LOGGER, LogLevel.DEBUG), levels);

        List<LogListener> added = new java.util.ArrayList<>();
        LogReaderService reader = FakeFramework.proxy(LogReaderService.class, (p, m, a) -> switch (m.getName()) {
            case "addLogListener" -> added.add((LogListener) a[0]);
            case "removeLogListener" -> added.remove((LogListener) a[0]);
            default -> FakeFramework.standard(p, m.getName(), a, "reader");
        });
        log.addReader(reader);
        assertEquals(List.of(log), added);
        log.removeReader(reader);
        assertTrue(added.isEmpty());
    }

    /** A Log Service whose delivery thread is held until the marker goes out: what a reader logged just before is not in yet. */
    private KernelLogComponent behindLogService(FakeBundle from, String... before) {
        KernelLogComponent log = new KernelLogComponent(fw.context);
        CountDownLatch behind = new CountDownLatch(1);
        delivery.execute(() -> {
            try {
                behind.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        for (String line : before) {
            delivery.execute(() -> log.logged(entry(LogLevel.INFO, from.bundle, "x", line, null)));
        }
        Logger marker = FakeFramework.proxy(Logger.class, (p, m, a) -> {
            String n = (String) a[0];
            delivery.execute(() -> log.logged(entry(LogLevel.DEBUG, fw.kernel.bundle, KernelLogComponent.BARRIER_LOGGER, n, null)));
            behind.countDown();
            return null;
        });
        log.setLoggerFactory(FakeFramework.proxy(LoggerFactory.class, (p, m, a) -> marker));
        return log;
    }

    @Test
    void dmesgMinusCReturnsAndForgetsEveryLineLoggedBeforeIt() {
        FakeBundle scull = fw.module("scull");
        scull.state = Bundle.ACTIVE;
        KernelLogComponent log = behindLogService(scull, "one", "two");
        assertEquals(List.of("INFO scull: one", "INFO scull: two"), text(log.readClear()));
        assertTrue(log.lines().isEmpty());
    }

    @Test
    void clearForgetsEveryLineLoggedBeforeIt() {
        FakeBundle scull = fw.module("scull");
        scull.state = Bundle.ACTIVE;
        KernelLogComponent log = behindLogService(scull, "old");
        log.clear();
        assertTrue(log.lines().isEmpty(), "a line logged before the clear does not turn up after it");
    }

    @Test
    void aModuleLearnedWhenItResolvedKeepsItsNameAfterItIsGone() {
        KernelLogComponent log = new KernelLogComponent(fw.context);
        FakeBundle scull = fw.module("scull");
        log.bundleChanged(new BundleEvent(BundleEvent.RESOLVED, scull.bundle));
        log.bundleChanged(new BundleEvent(BundleEvent.STARTED, scull.bundle));
        log.logged(entry(LogLevel.INFO, scull.bundle, "x", "hello", null));
        assertEquals(List.of("INFO scull: hello"), text(log.lines()));
    }
}
