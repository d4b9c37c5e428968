package org.devhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.devhost.itests.drivers.StuckLifecycle;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.KernelLog;
import org.devhost.kernel.ModuleManager;
import org.devhost.kernel.ModuleStatus;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.CoreOptions;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;

/**
 * A driver cannot wedge the module lifecycle: an init or a drop that never returns ends the
 * caller's dev:insmod, dev:rmmod or dev:restart with ETIMEDOUT at the step deadline, the module
 * is marked stuck (EBUSY, with its thread named in the log), other modules load and unload
 * meanwhile, and when the step returns at last what the caller asked for is finished, with
 * nothing of the module left half-registered.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class LifecycleDeadlineIT {
    @Configuration
    public Option[] config() throws Exception {
        return CoreOptions.options(CoreOptions.composite(HostOptions.host("rust_miscdev")),
                CoreOptions.frameworkProperty("devhost.module.step.timeout.ms").value("1000"),
                CoreOptions.systemProperty("itest.stuck.jar").value(HostOptions.testDriver("itest_stuck", StuckLifecycle.class)),
                CoreOptions.systemProperty("itest.counting.jar").value(HostOptions.countingDriver(1)));
    }

    private Probe probe;
    private ModuleManager modules;
    private DeviceRegistry registry;
    private final CountDownLatch release = new CountDownLatch(1);

    @Before
    public void setUp() throws Exception {
        probe = new Probe(getClass());
        modules = probe.service(ModuleManager.class);
        registry = probe.registry();
    }

    @After
    public void letGo() {
        release.countDown();
        System.getProperties().remove(StuckLifecycle.HOLD_INIT);
        System.getProperties().remove(StuckLifecycle.HOLD_DROP);
    }

    private String log() throws InterruptedException {
        return String.join("\n", probe.service(KernelLog.class).lines().stream().map(Object::toString).toList());
    }

    /**
     * The call's KernelException, within a bound far above the step deadline: on a host that
     * waits without one the test fails here instead of hanging the build.
     */
    private static KernelException refused(String what, Runnable call) throws Exception {
        java.util.concurrent.CompletableFuture<KernelException> r = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> Probe.expect(call));
        try {
            return r.get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError(what + " did not answer within 30 s: the module lock is wedged");
        }
    }

    private boolean loaded(String module) {
        return modules.modules().stream().anyMatch(m -> m.name().equals(module));
    }

    /** Another module loads and unloads while one is stuck: the module lock is not held. */
    private void otherModulesGoOn() {
        String counting = System.getProperty("itest.counting.jar");
        modules.load(counting, Map.of(), null);
        assertTrue(loaded("itest_counting"));
        modules.unload("itest_counting", false);
        assertFalse(loaded("itest_counting"));
    }

    @Test
    public void aDropThatNeverReturnsEndsRmmodWithEtimedoutAndTheUnloadFinishesWhenItReturns() throws Exception {
        modules.load(System.getProperty("itest.stuck.jar"), Map.of(), null);
        System.getProperties().put(StuckLifecycle.HOLD_DROP, release);
        KernelException e = refused("dev:rmmod", () -> modules.unload("itest_stuck", false));
        assertEquals(e.getMessage(), Errno.ETIMEDOUT, e.errno());
        assertTrue(e.getMessage(), e.getMessage().contains("drop has not returned after 1000 ms"));
        assertTrue(log(), log().contains("StuckLifecycle.hold"));

        otherModulesGoOn();
        KernelException again = Probe.expect(() -> modules.unload("itest_stuck", true));
        assertEquals(again.getMessage(), Errno.EBUSY, again.errno());
        assertTrue(again.getMessage(), again.getMessage().contains("is stuck"));
        assertEquals(Errno.EBUSY, Probe.expect(() -> modules.restart("itest_stuck")).errno());

        release.countDown();
        Await.until("the late drop finished the unload", () -> !loaded("itest_stuck"));
        Await.until("the stuck mark went", () -> {
            try {
                return log().contains("itest_stuck") && log().contains("returned at last");
            } catch (InterruptedException ie) {
                return false;
            }
        });
        modules.load(System.getProperty("itest.stuck.jar"), Map.of(), null); // loads again: nothing was left behind
        assertTrue(registry.device("itest_stuck").isPresent());
        System.getProperties().remove(StuckLifecycle.HOLD_DROP);
        modules.unload("itest_stuck", false);
    }

    @Test
    public void anInitThatNeverReturnsEndsInsmodWithEtimedoutAndLeavesNothingWhenItReturns() throws Exception {
        System.getProperties().put(StuckLifecycle.HOLD_INIT, release);
        KernelException e = refused("dev:insmod", () -> modules.load(System.getProperty("itest.stuck.jar"), Map.of(), null));
        assertEquals(e.getMessage(), Errno.ETIMEDOUT, e.errno());
        otherModulesGoOn();
        assertEquals(Errno.EBUSY, Probe.expect(() -> modules.load(System.getProperty("itest.stuck.jar"), Map.of(), null)).errno());

        release.countDown();
        Await.until("the late init's load rolled back", () -> !loaded("itest_stuck") && registry.device("itest_stuck").isEmpty());
        System.getProperties().remove(StuckLifecycle.HOLD_INIT);
        modules.load(System.getProperty("itest.stuck.jar"), Map.of(), null);
        assertTrue(registry.device("itest_stuck").isPresent());
        modules.unload("itest_stuck", false);
    }

    @Test
    public void aRestartWhoseDropNeverReturnsEndsWithEtimedoutAndTheModuleIsFailedNotHalfRestarted() throws Exception {
        modules.load(System.getProperty("itest.stuck.jar"), Map.of(), null);
        System.getProperties().put(StuckLifecycle.HOLD_DROP, release);
        KernelException e = refused("dev:restart", () -> modules.restart("itest_stuck"));
        assertEquals(e.getMessage(), Errno.ETIMEDOUT, e.errno());
        assertEquals(ModuleStatus.State.FAILED, modules.module("itest_stuck").state());
        otherModulesGoOn();

        release.countDown();
        System.getProperties().remove(StuckLifecycle.HOLD_DROP);
        Await.until("the stuck mark went", () -> {
            try {
                return log().contains("returned at last");
            } catch (InterruptedException ie) {
                return false;
            }
        });
        modules.restart("itest_stuck"); // dev:restart brings a FAILED module back
        assertEquals(ModuleStatus.State.LIVE, modules.module("itest_stuck").state());
        assertTrue(registry.device("itest_stuck").isPresent());
        modules.unload("itest_stuck", false);
    }
}
