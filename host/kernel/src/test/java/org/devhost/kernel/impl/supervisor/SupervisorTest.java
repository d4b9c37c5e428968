package org.devhost.kernel.impl.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.devhost.kernel.Errno;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.ModuleStatus;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.impl.FakeFramework.FakeBundle;
import org.devhost.kernel.impl.FakeFramework;
import org.devhost.kernel.impl.Kernel;
import org.devhost.kernel.impl.Parked;
import org.devhost.kernel.impl.chrdev.ModuleContext;
import org.devhost.kernel.impl.registry.KernelCore;
import org.devhost.kernel.impl.registry.ModuleRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.osgi.framework.Bundle;
import org.osgi.service.event.Event;

/**
 * The supervisor on a fake framework: crashes (faults, a failed init), hangs (the watchdog, a
 * missed heartbeat), restarts with back-off and numbers kept, giving up, dev:restart. The
 * itests' SupervisionIT runs the same in Felix; here every branch is reached in milliseconds.
 */
@Timeout(30)
class SupervisorTest {
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

    private static SupervisionPolicyConfig policy(String module, Object... values) {
        return FakeFramework.policy(module, values);
    }

    /** A loaded module with one misc device at minor 200. */
    private FakeBundle live(String name) throws Exception {
        FakeBundle b = fw.module(name).driver(core, r -> r.registerMisc(name, 200, Kernel.openOnly()));
        b.bundle.start();
        return b;
    }

    private ModuleStatus.State state(String module) {
        return (ModuleStatus.State) sup.view(module)[0];
    }

    private ModuleStatus.Failure failure(String module) {
        return (ModuleStatus.Failure) sup.view(module)[3];
    }

    private Event event(String module, String topic, int nth) {
        return fw.events.stream().filter(e -> e.getTopic().equals(Supervisor.TOPIC + topic) && module.equals(e.getProperty("module")))
                .skip(nth).findFirst().orElseThrow();
    }

    /** Waits for the module's first events and checks them (a heartbeat that keeps missing may add more later). */
    private void awaitEvents(String module, String... topics) throws InterruptedException {
        Parked.until(() -> fw.moduleEvents(module).size() >= topics.length);
        assertEquals(List.of(topics), fw.moduleEvents(module).subList(0, topics.length), fw.log.toString());
    }

    @Test
    void aModulesOwnPolicyBeatsTheStarOneWhichBeatsTheDefaults() {
        start();
        assertEquals(Policy.DEFAULT, sup.policy("x"));
        assertEquals(new Policy(true, 5, 10_000, 10_000, 5, 60_000, 1000, 30_000, 60_000), Policy.DEFAULT);
        SupervisionPolicyConfig star = policy("*", "fault_threshold", 3);
        sup.addPolicy(star);
        assertEquals(3, sup.policy("x").faultThreshold());
        sup.addPolicy(policy("x", "fault_threshold", 7));
        assertEquals(7, sup.policy("x").faultThreshold());
        assertEquals(3, sup.policy("y").faultThreshold());
        sup.removePolicy(star);
        assertEquals(Policy.DEFAULT, sup.policy("y"));

        sup.addPolicy(policy("odd", "fault_threshold", 0, "max_restarts", -1, "backoff_initial_ms", -5L, "backoff_max_ms", -6L));
        Policy odd = sup.policy("odd");
        assertEquals(1, odd.faultThreshold(), "at least one fault makes a crash");
        assertEquals(0, odd.maxRestarts());
        assertEquals(0, odd.backoffInitialMs());
        assertEquals(0, odd.backoffMaxMs());

        assertTrue(sup.supervised("x"));
        sup.addPolicy(policy("off", "enabled", false));
        assertFalse(sup.supervised("off"));
    }

    @Test
    void faultsUpToTheThresholdCrashTheModuleWhichRestartsOnItsOwnNumbers() throws Exception {
        start();
        sup.addPolicy(policy("scull", "fault_threshold", 3));
        CountDownLatch hold = new CountDownLatch(1);
        FakeBundle scull = fw.module("scull").driver(core, r -> {
            if (fw.refreshed.size() > 0) { // the restart: held so that the test sees the module down
                try {
                    hold.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            r.registerMisc("scull", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly());
        });
        scull.bundle.start();
        int minor = core.table().devices().get(0).number().minor();
        assertNull(state("scull"));

        sup.driverFault("scull", "read", new IllegalStateException("boom"));
        sup.driverFault("scull", "read", new IllegalStateException("boom"));
        assertTrue(fw.moduleEvents("scull").isEmpty(), "two faults are under the threshold of three");
        assertNull(state("scull"));
        sup.driverFault("scull", "write", new IllegalStateException("boom"));

        Parked.until(() -> scull.starts.get() == 2 && scull.state == Bundle.STARTING);
        assertEquals(ModuleStatus.State.RESTARTING, state("scull"));
        assertEquals("scull", core.table().reservedName("scull"), "its numbers are held while it is down");
        assertEquals(Errno.EAGAIN, assertThrows(KernelException.class,
                () -> new ModuleRegistry(new ModuleContext("user", core.table())).open("scull", OpenFlags.O_RDONLY)).errno());
        hold.countDown();
        awaitEvents("scull", "CRASHED", "RESTARTING", "RESTARTED");
        Parked.until(() -> state("scull") == null);

        assertEquals(1, scull.stops.get(), "stopped once, for the restart");
        assertEquals(List.of(List.of(scull.bundle)), fw.refreshed, "a fresh class loader for the restart");
        assertEquals(minor, core.table().devices().get(0).number().minor(), "the restarted init got its minor back");
        assertNull(core.table().reservedName("scull"), "the reservation goes once it is live again");
        assertEquals(1, sup.view("scull")[1]);
        assertEquals(0, sup.view("scull")[2]);
        ModuleStatus.Failure f = failure("scull");
        assertEquals("faults", f.kind());
        assertEquals("3 faults within 60000 ms (last: write threw IllegalStateException)", f.reason());
        assertEquals("java.lang.IllegalStateException: boom", f.summary());
        Event crashed = event("scull", "CRASHED", 0);
        assertEquals("faults", crashed.getProperty("kind"));
        assertEquals(1, crashed.getProperty("restarts"));
        assertEquals(0L, event("scull", "RESTARTING", 0).getProperty("backoff.ms"));
        assertTrue(fw.logged("ERROR scull: crashed: 3 faults within 60000 ms"), fw.log.toString());
        assertTrue(fw.logged("WARN scull: restarting in 0 ms (restart 1)"), fw.log.toString());
        assertTrue(fw.logged("INFO scull: restarted (restart 1)"), fw.log.toString());
    }

    @Test
    void aModuleWhoseRestartsKeepFailingBacksOffAndIsGivenUp() throws Exception {
        start();
        sup.addPolicy(policy("bad", "fault_threshold", 1, "max_restarts", 2, "backoff_initial_ms", 1L));
        FakeBundle bad = live("bad");
        bad.initFailure = "org.devhost.kernel.KernelException: bad: no memory (ENOMEM)";
        sup.driverFault("bad", "ioctl", new RuntimeException("x"));
        awaitEvents("bad", "CRASHED", "RESTARTING", "CRASHED", "RESTARTING", "CRASHED", "FAILED");
        Parked.until(() -> bad.state == Bundle.RESOLVED);

        assertEquals(ModuleStatus.State.FAILED, state("bad"));
        assertEquals(2, sup.view("bad")[1], "two restarts, then no more");
        assertEquals(0L, event("bad", "RESTARTING", 0).getProperty("backoff.ms"), "the first restart at once");
        assertEquals(1L, event("bad", "RESTARTING", 1).getProperty("backoff.ms"), "then backoff_initial_ms");
        assertEquals("init", event("bad", "CRASHED", 1).getProperty("kind"));
        assertEquals("init", failure("bad").kind());
        assertEquals("init failed: bad: no memory (ENOMEM)", failure("bad").reason());
        assertEquals("more than 2 restarts within 60000 ms", event("bad", "FAILED", 0).getProperty("reason"));
        assertTrue(fw.logged("ERROR bad: failed: more than 2 restarts within 60000 ms; giving up"), fw.log.toString());
        assertNull(core.table().reservedName("bad"), "a module given up holds no numbers");
        assertTrue(core.devices().isEmpty());

        sup.driverFault("bad", "read", new RuntimeException("late"));
        assertEquals(6, fw.moduleEvents("bad").size(), "a FAILED module is not crashed again");

        // dev:restart brings it back, with its counters started again
        bad.initFailure = null;
        sup.restartNow("bad");
        assertNull(state("bad"));
        assertEquals(Bundle.ACTIVE, bad.state);
        assertEquals(3, sup.view("bad")[1]);
        assertEquals(List.of("RESTARTING", "RESTARTED"), fw.moduleEvents("bad").subList(6, 8));
        assertEquals("manual", event("bad", "RESTARTED", 0).getProperty("kind"));
        assertTrue(fw.logged("INFO bad: restarted by hand (restart 3)"), fw.log.toString());
        assertEquals(1, core.devices().size());
    }

    @Test
    void aModuleWithNoRestartsLeftIsGivenUpAtItsFirstCrash() throws Exception {
        start();
        sup.addPolicy(policy("once", "fault_threshold", 1, "max_restarts", 0));
        FakeBundle once = live("once");
        sup.driverFault("once", "read", new RuntimeException("x"));
        awaitEvents("once", "CRASHED", "FAILED");
        Parked.until(() -> once.state == Bundle.RESOLVED);
        assertEquals(ModuleStatus.State.FAILED, state("once"));
        assertEquals(0, sup.view("once")[1]);
        assertEquals(1, once.starts.get(), "never started again");
    }

    @Test
    void aRestartByHandWhoseInitFailsLeavesTheModuleFailedAndStopped() throws Exception {
        start();
        assertEquals(Errno.ENOENT, assertThrows(KernelException.class, () -> sup.restartNow("nothere")).errno());
        FakeBundle m = live("m");
        m.initFailure = "java.lang.IllegalStateException: no device (ENODEV)";
        KernelException e = assertThrows(KernelException.class, () -> sup.restartNow("m"));
        assertEquals(Errno.ENODEV, e.errno());
        assertTrue(e.getMessage().startsWith("m: restart failed: no device (ENODEV); the module is FAILED"), e.getMessage());
        assertEquals(ModuleStatus.State.FAILED, state("m"));
        assertEquals("init failed: no device (ENODEV)", failure("m").reason());
        assertEquals(Bundle.RESOLVED, m.state, "nothing of it runs");
        assertEquals(List.of("RESTARTING", "FAILED"), fw.moduleEvents("m"));
        assertTrue(fw.logged("ERROR m: restart by hand failed: no device (ENODEV); the module is FAILED"), fw.log.toString());
        assertNull(core.table().reservedName("m"));
    }

    @Test
    void aDisabledModuleIsLeftAloneAndANonModuleIsNoneOfTheSupervisorsBusiness() throws Exception {
        start();
        sup.addPolicy(policy("free", "enabled", false, "fault_threshold", 1));
        FakeBundle free = live("free");
        for (int i = 0; i < 3; i++) {
            sup.driverFault("free", "read", new RuntimeException("x"));
        }
        sup.crash("free", "hang", "r", "s", "HUNG");
        assertFalse(sup.reserveBeforeReap(free.bundle));
        assertTrue(fw.moduleEvents("free").isEmpty());
        assertEquals(Bundle.ACTIVE, free.state);
        assertNull(sup.view("free")[0]);

        FakeBundle plain = fw.plain("org.example.lib");
        assertFalse(sup.reserveBeforeReap(plain.bundle));
        sup.crash("nomodule", "hang", "r", "s", "HUNG"); // no bundle is that module: nothing to restart
        assertTrue(fw.events.stream().noneMatch(e -> e.getTopic().startsWith(Supervisor.TOPIC)), fw.events.toString());
    }

    @Test
    void aFailedInitOutsideALoadIsACrashAndItsNumbersAreReservedBeforeTheReap() throws Exception {
        start();
        FakeBundle m = live("m");
        sup.loading(m.bundle, true);
        assertFalse(sup.reserveBeforeReap(m.bundle), "a load reports its own init");
        sup.initFailed(m.bundle, "boom");
        assertTrue(fw.moduleEvents("m").isEmpty());
        sup.loading(m.bundle, false);

        assertTrue(sup.reserveBeforeReap(m.bundle));
        assertEquals("m", core.table().reservedName("m"));
        sup.initFailed(m.bundle, "boom (EIO)");
        awaitEvents("m", "CRASHED", "RESTARTING", "RESTARTED");
        assertEquals("init", failure("m").kind());
        assertEquals("init failed: boom (EIO)", failure("m").reason());
        assertNull(core.table().reservedName("m"));
    }

    @Test
    void anUninstalledModuleIsForgottenWithWhatWasHeldForIt() throws Exception {
        start();
        sup.addPolicy(policy("gone", "fault_threshold", 1, "max_restarts", 0));
        FakeBundle gone = live("gone");
        sup.driverFault("gone", "read", new RuntimeException("x"));
        awaitEvents("gone", "CRASHED", "FAILED");
        core.table().reserve("gone");
        gone.bundle.uninstall();
        assertNull(sup.view("gone")[0]);
        assertEquals(0, sup.view("gone")[1]);
        assertNull(core.table().reservedName("gone"));
        assertFalse(sup.reserveBeforeReap(gone.bundle), "an uninstalled bundle is not restarted");
        sup.initFailed(gone.bundle, "late");
        assertEquals(List.of("CRASHED", "FAILED"), fw.moduleEvents("gone"));

        sup.deactivate();
        assertTrue(fw.listeners.isEmpty(), "the bundle listener goes with the supervisor");
        assertNull(core.supervisor());
        sup = null;
    }

    @Test
    void aMissedHeartbeatIsAHang() throws Exception {
        start();
        FakeBundle beat = fw.module("beat").driver(core, r -> r.heartbeat(1));
        beat.bundle.start();
        awaitEvents("beat", "HUNG", "RESTARTING", "RESTARTED");
        assertEquals("heartbeat", failure("beat").kind());
        assertTrue(failure("beat").reason().matches("no heartbeat for \\d+ ms \\(period 1 ms\\)"), failure("beat").reason());
        assertEquals("missed heartbeat", failure("beat").summary());
    }

    @Test
    void aMissedHeartbeatOfAnUnsupervisedModuleIsOnlyAWarning() throws Exception {
        start();
        sup.addPolicy(policy("lax", "enabled", false));
        fw.module("lax").driver(core, r -> r.heartbeat(1)).bundle.start();
        Parked.until(() -> fw.logged("WARN lax: no heartbeat for"));
        assertTrue(fw.logged("(period 1 ms); not supervised, so nothing is done"), fw.log.toString());
        assertTrue(fw.moduleEvents("lax").isEmpty());
    }

    /** A driver whose read runs in its own code until the test lets it go: a hang, not a kernel wait. */
    private static final class Hanging implements FileOperations<Void> {
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public Void open(File file) {
            return null;
        }

        @Override
        public int read(Void data, File file, ByteBuffer dst, long offset) {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return 0;
        }
    }

    @Test
    void anOperationRunningInTheDriverPastTheWatchdogIsAHangAndItsThreadIsCountedAsAbandoned() throws Exception {
        fw.properties.put(KernelCore.REVOKE_TIMEOUT_PROPERTY, "50");
        start();
        sup.addPolicy(policy("hang", "watchdog_ms", 1L));
        Hanging driver = new Hanging();
        FakeBundle hang = fw.module("hang").driver(core, r -> r.registerMisc("hang", MiscDevice.DYNAMIC_MINOR, driver));
        hang.bundle.start();
        OpenFile f = new ModuleRegistry(new ModuleContext("user", core.table())).open("hang", OpenFlags.O_RDONLY);
        Thread reader = new Thread(() -> {
            try {
                f.read(ByteBuffer.allocate(1));
            } catch (KernelException expected) {
                // ENODEV once revoked
            }
        }, "reader");
        reader.start();
        try {
            awaitEvents("hang", "HUNG", "RESTARTING", "RESTARTED");
            ModuleStatus.Failure hung = failure("hang");
            assertEquals("hang", hung.kind());
            assertEquals("an operation on hang has run in the driver for more than 1 ms", hung.reason());
            assertTrue(hung.summary().startsWith("'reader' at "), hung.summary());
            assertEquals(1, sup.view("hang")[2], "the reader is left in the driver, counted once");
            assertTrue(fw.logged("WARN hang: 1 thread(s) abandoned in the driver's code"), fw.log.toString());
        } finally {
            driver.release.countDown();
            reader.join();
        }
    }
}
