package org.devhost.kernel.impl.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.impl.FakeFramework.FakeBundle;
import org.devhost.kernel.impl.FakeFramework;
import org.devhost.kernel.impl.Kernel;
import org.devhost.kernel.impl.Parked;
import org.devhost.kernel.impl.log.KernelLogComponentTest;
import org.devhost.kernel.impl.registry.KernelCore;
import org.devhost.kernel.impl.registry.ModuleRegistry;
import org.devhost.kernel.impl.supervisor.Supervisor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.log.LogLevel;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;

/** After an init that threw, what it registered goes: SCR keeps the registry, the watcher does not. */
@Timeout(30)
class InitFailureWatcherTest {
    private final FakeFramework fw = new FakeFramework();
    private final KernelCore core = fw.kernelCore();
    private final InitFailureWatcher watcher = new InitFailureWatcher();
    private Supervisor sup;

    InitFailureWatcherTest() {
        FakeFramework.inject(watcher, "core", core);
        FakeFramework.inject(watcher, "scr", fw.scr);
        watcher.activate();
    }

    @AfterEach
    void stop() {
        watcher.deactivate();
        if (sup != null) {
            sup.deactivate();
        }
    }

    /** A module whose init registered a device and then threw (as SCR leaves it: registry bound, component failed). */
    private FakeBundle failedInit(String name) {
        FakeBundle b = fw.module(name);
        new ModuleRegistry(core.attach(b.bundle)).registerMisc(name, MiscDevice.DYNAMIC_MINOR, Kernel.openOnly());
        b.initFailure = "java.lang.IllegalStateException: boom";
        b.componentState = ComponentConfigurationDTO.FAILED_ACTIVATION;
        return b;
    }

    private boolean registered(String name) {
        return core.devices().stream().anyMatch(d -> d.name().equals(name));
    }

    @Test
    void aFailedInitsRegistrationsAreReleasedAndSaidSo() throws Exception {
        FakeBundle bad = failedInit("bad");
        watcher.logged(KernelLogComponentTest.entry(LogLevel.ERROR, bad.bundle, "x", "bad: activate failed",
                new IllegalStateException("no memory")));
        Parked.until(() -> !registered("bad"));
        assertTrue(fw.logged("ERROR bad: init failed: no memory"), fw.log.toString());
        assertFalse(core.module(bad.bundle).isReleased(), "the context stays usable: SCR may try the init again");

        FakeBundle worse = failedInit("worse");
        watcher.logged(KernelLogComponentTest.entry(LogLevel.ERROR, worse.bundle, "x", "worse: constructor threw", null));
        Parked.until(() -> !registered("worse"));
        assertTrue(fw.logged("ERROR worse: init failed: worse: constructor threw"), "without an exception, the message");
    }

    @Test
    void onlyAnErrorOfABundleWhoseComponentFailedAndNoneIsActiveCounts() throws Exception {
        FakeBundle info = failedInit("info");
        watcher.logged(KernelLogComponentTest.entry(LogLevel.WARN, info.bundle, "x", "a warning", null));
        watcher.logged(KernelLogComponentTest.entry(LogLevel.ERROR, null, "x", "no bundle", null));
        FakeBundle active = failedInit("active");
        active.componentState = ComponentConfigurationDTO.ACTIVE; // an error logged by a running driver
        watcher.logged(KernelLogComponentTest.entry(LogLevel.ERROR, active.bundle, "x", "read failed", null));
        FakeBundle nothing = fw.module("nothing"); // holds no registrations, no supervisor: nothing to clean up
        core.attach(nothing.bundle);
        nothing.componentState = ComponentConfigurationDTO.FAILED_ACTIVATION;
        watcher.logged(KernelLogComponentTest.entry(LogLevel.ERROR, nothing.bundle, "x", "threw", null));
        FakeBundle stranger = fw.module("stranger"); // never used the kernel
        watcher.logged(KernelLogComponentTest.entry(LogLevel.ERROR, stranger.bundle, "x", "threw", null));

        // The watcher's checks run in order on its one thread: once this later one is done, so are those.
        FakeBundle marker = failedInit("marker");
        watcher.logged(KernelLogComponentTest.entry(LogLevel.ERROR, marker.bundle, "x", "threw", null));
        Parked.until(() -> !registered("marker"));
        assertTrue(registered("info"));
        assertTrue(registered("active"));
        assertFalse(fw.logged("nothing: init failed"), fw.log.toString());
    }

    @Test
    void anInitStillUndecidedIsLookedAtAgainUntilItFails() throws Exception {
        FakeBundle slow = failedInit("slow");
        slow.componentState = ComponentConfigurationDTO.SATISFIED;
        int before = fw.scrQueries.get();
        watcher.logged(KernelLogComponentTest.entry(LogLevel.ERROR, slow.bundle, "x", "threw", null));
        Parked.until(() -> fw.scrQueries.get() >= before + 3);
        assertTrue(registered("slow"));
        slow.componentState = ComponentConfigurationDTO.FAILED_ACTIVATION;
        Parked.until(() -> !registered("slow"));
    }

    @Test
    void aSupervisedModuleKeepsItsNumbersThroughTheReapAndIsRestarted() throws Exception {
        sup = new Supervisor(core, fw.scr, fw.context);
        FakeFramework.inject(sup, "events", fw.eventAdmin);
        FakeBundle m = fw.module("m").driver(core, r -> r.registerMisc("m", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly()));
        m.bundle.start();
        int minor = core.devices().get(0).number().minor();
        // a component of the module fails later, outside any load (the restarted init succeeds)
        m.componentState = ComponentConfigurationDTO.FAILED_ACTIVATION;
        watcher.logged(KernelLogComponentTest.entry(LogLevel.ERROR, m.bundle, "x", "threw", new IllegalStateException("late failure")));
        Parked.until(() -> fw.moduleEvents("m").size() >= 3);
        assertEquals(List.of("CRASHED", "RESTARTING", "RESTARTED"), fw.moduleEvents("m"));
        assertEquals(minor, core.devices().get(0).number().minor(), "the restarted module has its minor back");
        assertEquals("init failed: late failure", ((org.devhost.kernel.ModuleStatus.Failure) sup.view("m")[3]).reason());
    }

    @Test
    void theWatcherListensToEveryLogReaderAndStopsWithTheKernel() {
        List<LogListener> added = new ArrayList<>();
        LogReaderService reader = FakeFramework.proxy(LogReaderService.class, (p, m, a) -> switch (m.getName()) {
            case "addLogListener" -> added.add((LogListener) a[0]);
            case "removeLogListener" -> added.remove((LogListener) a[0]);
            default -> FakeFramework.standard(p, m.getName(), a, "reader");
        });
        watcher.addReader(reader);
        assertEquals(List.of(watcher), added);
        watcher.removeReader(reader);
        assertTrue(added.isEmpty());
        watcher.deactivate();
        FakeBundle late = failedInit("late");
        watcher.logged(KernelLogComponentTest.entry(LogLevel.ERROR, late.bundle, "x", "threw", null)); // no exception
        assertTrue(registered("late"), "the kernel is going down and releases every module itself");
    }
}
