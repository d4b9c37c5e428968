package org.devhost.kernel.impl.log;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Where dmesg files a line: by module, also for lines that arrive after the bundle is gone. */
class LogSourcesTest {
    private static final Optional<String> GONE = Optional.empty(); // what an uninstalled bundle's manifest gives

    @Test
    void aLineDeliveredAfterUninstallIsFiledUnderTheModuleLearnedWhileResolved() {
        LogSources sources = new LogSources();
        sources.learn(42, Optional.of("rust_minimal"));
        assertEquals("rust_minimal", sources.source(42, "org.devhost.drivers.rust_minimal", null, () -> GONE));
    }

    @Test
    void aModuleNeverLearnedIsReadFromItsManifestOnceAndRemembered() {
        LogSources sources = new LogSources();
        AtomicInteger reads = new AtomicInteger();
        assertEquals("scull", sources.source(7, "org.devhost.drivers.scull", null, () -> {
            reads.incrementAndGet();
            return Optional.of("scull");
        }));
        assertEquals("scull", sources.source(7, "org.devhost.drivers.scull", null, () -> GONE));
        assertEquals(1, reads.get());
    }

    @Test
    void theKernelsLinesAboutAModuleAreFiledUnderThatModule() {
        LogSources sources = new LogSources();
        sources.learn(3, GONE);
        assertEquals("scull", sources.source(3, "org.devhost.kernel", "scull", () -> GONE));
        assertEquals("org.devhost.kernel", sources.source(3, "org.devhost.kernel", "org.devhost.kernel.impl.X", () -> GONE));
        assertEquals("org.devhost.kernel", sources.source(3, "org.devhost.kernel", "ROOT", () -> GONE));
    }

    @Test
    void otherBundlesAreTheirSymbolicNameAndLinesWithoutABundleTheirLogger() {
        LogSources sources = new LogSources();
        assertEquals("org.apache.felix.scr", sources.source(5, "org.apache.felix.scr", "scull", () -> GONE));
        assertEquals("Events.Framework", sources.source(-1, null, "Events.Framework", null));
        assertEquals("?", sources.source(-1, null, null, null));
    }

    @Test
    void rememberingIsBoundedOldestFirst() {
        LogSources sources = new LogSources();
        for (long id = 0; id <= LogSources.REMEMBERED; id++) {
            sources.learn(id, Optional.of("m" + id));
        }
        assertEquals("b0", sources.source(0, "b0", null, () -> GONE), "the first bundle is forgotten");
        assertEquals("m" + LogSources.REMEMBERED, sources.source(LogSources.REMEMBERED, "b", null, () -> GONE));
        assertEquals("m1", sources.source(1, "b1", null, () -> GONE), "the second is still known");
    }
}
