package org.devhost.kernel.impl.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.ModuleStatus;
import org.devhost.kernel.impl.FakeFramework.FakeBundle;
import org.devhost.kernel.impl.FakeFramework;
import org.devhost.kernel.impl.Kernel;
import org.devhost.kernel.impl.Parked;
import org.devhost.kernel.impl.lifecycle.LifecycleSteps;
import org.devhost.kernel.impl.module.ModuleManagerComponent;
import org.devhost.kernel.impl.registry.KernelCore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.osgi.framework.Bundle;

/** The supervisor's counting rules: when a run of restarts starts again, and what dev:restart refuses or holds. */
@Timeout(30)
class SupervisorRulesTest {
    private final FakeFramework fw = new FakeFramework();
    private KernelCore core;
    private Supervisor sup;

    private void start() {
        core = fw.kernelCore();
        sup = new Supervisor(core, fw.scr, fw.context);
        FakeFramework.inject(sup, "events", fw.eventAdmin);
    }

    @AfterEach
    void stop() {
        if (sup != null) {
            sup.deactivate();
        }
    }

    private FakeBundle live(String name) throws Exception {
        FakeBundle b = fw.module(name).driver(core, r -> r.registerMisc(name, MiscDevice.DYNAMIC_MINOR, Kernel.openOnly()));
        b.bundle.start();
        return b;
    }

    private void awaitEvents(String module, int n) throws InterruptedException {
        Parked.until(() -> fw.moduleEvents(module).size() >= n);
    }

    @Test
    void aModuleHealthyForHealthyAfterMsStartsANewRunOfRestarts() throws Exception {
        start();
        sup.addPolicy(FakeFramework.policy("fresh", "fault_threshold", 1, "max_restarts", 1, "healthy_after_ms", 0L));
        sup.addPolicy(FakeFramework.policy("tired", "fault_threshold", 1, "max_restarts", 1));
        live("fresh");
        live("tired");
        for (String m : List.of("fresh", "tired")) {
            sup.driverFault(m, "read", new RuntimeException("x"));
            awaitEvents(m, 3);
            Parked.until(() -> sup.view(m)[0] == null);
            sup.driverFault(m, "read", new RuntimeException("y"));
        }
        awaitEvents("fresh", 6);
        assertEquals(List.of("CRASHED", "RESTARTING", "RESTARTED", "CRASHED", "RESTARTING", "RESTARTED"), fw.moduleEvents("fresh"),
                "live long enough since its restart: one restart allowed again");
        assertEquals(0L, fw.events("org/devhost/module/RESTARTING").stream()
                .filter(e -> "fresh".equals(e.getProperty("module"))).skip(1).findFirst().orElseThrow().getProperty("backoff.ms"),
                "and the back-off starts again at once");
        awaitEvents("tired", 5);
        assertEquals(List.of("CRASHED", "RESTARTING", "RESTARTED", "CRASHED", "FAILED"), fw.moduleEvents("tired"),
                "within its restart window: given up");
    }

    @Test
    void theFaultCountStartsAgainAfterACrash() throws Exception {
        start();
        sup.addPolicy(FakeFramework.policy("m", "fault_threshold", 2));
        live("m");
        sup.driverFault("m", "read", new RuntimeException("1"));
        sup.driverFault("m", "read", new RuntimeException("2"));
        awaitEvents("m", 3);
        Parked.until(() -> sup.view("m")[0] == null);
        sup.driverFault("m", "read", new RuntimeException("3")); // one fault of a new count: under the threshold
        assertEquals(List.of("CRASHED", "RESTARTING", "RESTARTED"), fw.moduleEvents("m"));
        assertEquals(null, sup.view("m")[0]);
    }

    @Test
    void aRestartByHandHoldsTheNumbersWhileItRunsAndIsRefusedWhileAStepIsStuck() throws Exception {
        // the stuck step costs this once; every other step must end within it even on a loaded machine
        fw.properties.put(LifecycleSteps.TIMEOUT_PROPERTY, "2000");
        start();
        AtomicReference<String> reservedDuringInit = new AtomicReference<>();
        CountDownLatch dropReturns = new CountDownLatch(1);
        FakeBundle m = fw.module("m").driver(core, r -> {
            if (fw.refreshed.size() > 0) {
                reservedDuringInit.set(String.valueOf(core.table().reservedName("m")));
            }
            r.registerMisc("m", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly());
        });
        m.bundle.start();
        sup.restartNow("m");
        assertEquals("m", reservedDuringInit.get(), "no other module can take its numbers meanwhile");
        assertEquals(null, core.table().reservedName("m"));

        LifecycleSteps.Step drop = m.onStop;
        m.onStop = () -> {
            try {
                dropReturns.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            drop.run();
        };
        KernelException stuck = assertThrows(KernelException.class, () -> sup.restartNow("m"));
        assertEquals(Errno.ETIMEDOUT, stuck.errno());
        assertEquals(ModuleStatus.State.FAILED, sup.view("m")[0]);
        assertEquals("stuck", ((ModuleStatus.Failure) sup.view("m")[3]).kind());
        int restarts = (Integer) sup.view("m")[1];
        KernelException busy = assertThrows(KernelException.class, () -> sup.restartNow("m"));
        assertEquals(Errno.EBUSY, busy.errno());
        assertEquals(restarts, sup.view("m")[1], "a refused restart counts nothing");
        assertEquals(ModuleStatus.State.FAILED, sup.view("m")[0]);
        assertEquals(null, core.table().reservedName("m"), "and holds nothing");

        dropReturns.countDown();
        Parked.until(() -> !sup.steps.isStuck("m"));
        sup.restartNow("m");
        assertEquals(null, sup.view("m")[0]);
        assertEquals(Bundle.ACTIVE, m.state);
    }

    @Test
    void aLoadsOwnInitIsNotACrashButOnceLoadedTheModuleIsSupervised() throws Exception {
        start();
        ModuleManagerComponent mm = new ModuleManagerComponent(core, new NoParameters(), fw.scr, sup, null, fw.context);
        java.nio.file.Path jar = java.nio.file.Files.createTempFile("m", ".jar");
        try {
            java.util.jar.Manifest mf = new java.util.jar.Manifest();
            mf.getMainAttributes().put(java.util.jar.Attributes.Name.MANIFEST_VERSION, "1.0");
            mf.getMainAttributes().putValue("Bundle-SymbolicName", "org.example.m");
            try (java.util.jar.JarOutputStream j = new java.util.jar.JarOutputStream(java.nio.file.Files.newOutputStream(jar), mf)) {
                j.flush();
            }
            AtomicReference<Boolean> duringInit = new AtomicReference<>();
            fw.installer = location -> {
                FakeBundle b = fw.new FakeBundle("org.example.m", location, "m");
                b.driver(core, r -> duringInit.set(sup.reserveBeforeReap(b.bundle)));
                return b;
            };
            mm.load(jar.toString(), null, null);
            assertFalse(duringInit.get(), "an init failure during a load is the load's to report");
            FakeBundle b = fw.bundles.stream().filter(f -> "m".equals(f.module)).findFirst().orElseThrow();
            assertTrue(sup.reserveBeforeReap(b.bundle), "after the load, a failed init is a crash to restart from");
            core.table().unreserve("m");
            mm.unload("m", false);
            assertTrue(fw.refreshed.stream().anyMatch(r -> r.contains(b.bundle)));
        } finally {
            java.nio.file.Files.deleteIfExists(jar);
        }
    }

    /** Module parameters with nothing stored. */
    private static final class NoParameters implements org.devhost.kernel.ModuleParameters {
        @Override
        public List<Parameter> describe(String module) {
            return List.of();
        }

        @Override
        public java.util.Map<String, Object> get(String module) {
            return java.util.Map.of();
        }

        @Override
        public void set(String module, java.util.Map<String, String> values) {}

        @Override
        public void load(String module, java.util.Map<String, String> values) {}

        @Override
        public java.util.Map<String, Object> stored(String module) {
            return java.util.Map.of();
        }

        @Override
        public void restore(String module, java.util.Map<String, Object> stored) {}
    }
}
