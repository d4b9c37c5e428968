package org.devhost.kernel.impl.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.impl.FakeFramework;
import org.devhost.kernel.impl.Parked;
import org.devhost.kernel.impl.registry.KernelCore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.osgi.framework.BundleException;

/** A module's init or drop under a deadline: a driver that never returns cannot wedge the lifecycle. */
@Timeout(30)
class LifecycleStepsTest {
    private final FakeFramework fw = new FakeFramework();
    private final KernelCore core = fw.kernelCore();

    @Test
    void theDeadlineIsThePropertyWhenItIsAPositiveNumberElseThirtySeconds() {
        assertEquals(30_000, LifecycleSteps.DEFAULT_TIMEOUT_MS);
        assertEquals(LifecycleSteps.DEFAULT_TIMEOUT_MS, LifecycleSteps.timeout(null));
        assertEquals(250, LifecycleSteps.timeout(" 250 "));
        assertEquals(1, LifecycleSteps.timeout("1"));
        assertEquals(LifecycleSteps.DEFAULT_TIMEOUT_MS, LifecycleSteps.timeout("0"));
        assertEquals(LifecycleSteps.DEFAULT_TIMEOUT_MS, LifecycleSteps.timeout("-5"));
        assertEquals(LifecycleSteps.DEFAULT_TIMEOUT_MS, LifecycleSteps.timeout("soon"));
    }

    @Test
    void aStepRunsOnItsOwnThreadAndWhatItThrowsComesOutAsItIs() throws Exception {
        LifecycleSteps steps = new LifecycleSteps(core, 10_000);
        AtomicReference<Thread> ran = new AtomicReference<>();
        steps.run("m", "init", () -> ran.set(Thread.currentThread()), null);
        assertNotSame(Thread.currentThread(), ran.get());
        assertEquals("devhost init m", ran.get().getName());

        BundleException refused = new BundleException("cannot start");
        assertSame(refused, assertThrows(BundleException.class, () -> steps.run("m", "init", () -> {
            throw refused;
        }, null)));
        KernelException errno = new KernelException(Errno.ENOMEM, "no memory");
        assertSame(errno, assertThrows(KernelException.class, () -> steps.run("m", "init", () -> {
            throw errno;
        }, null)));
        LinkageError error = new LinkageError("class gone");
        assertSame(error, assertThrows(LinkageError.class, () -> steps.run("m", "drop", () -> {
            throw error;
        }, null)));
        assertFalse(steps.isStuck("m"), "a step that returned, even by throwing, leaves no mark");
        steps.refuseIfStuck("m");
    }

    @Test
    void aStepPastItsDeadlineIsEtimedoutAndItsModuleRefusesEveryStepUntilItReturns() throws Exception {
        LifecycleSteps steps = new LifecycleSteps(core, 2000);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean late = new AtomicBoolean();
        KernelException timedOut = assertThrows(KernelException.class,
                () -> steps.run("m", "drop", () -> awaitQuietly(release), () -> late.set(true)));
        assertEquals(Errno.ETIMEDOUT, timedOut.errno());
        assertTrue(timedOut.getMessage().startsWith("m: its drop has not returned after 2000 ms (thread 'devhost drop m'"),
                timedOut.getMessage());
        assertTrue(timedOut.getMessage().contains(LifecycleSteps.TIMEOUT_PROPERTY), timedOut.getMessage());
        assertTrue(timedOut.getMessage().contains("at org.devhost.kernel.impl.lifecycle.LifecycleStepsTest"),
                "names where the driver holds the thread: " + timedOut.getMessage());
        assertTrue(fw.logged("ERROR m: its drop has not returned after 2000 ms"), fw.log.toString());
        assertTrue(steps.isStuck("m"));

        AtomicBoolean ran = new AtomicBoolean();
        KernelException busy = assertThrows(KernelException.class, () -> steps.run("m", "init", () -> ran.set(true), null));
        assertEquals(Errno.EBUSY, busy.errno());
        assertTrue(busy.getMessage().startsWith("module m is stuck: its drop has not returned since"), busy.getMessage());
        assertFalse(ran.get(), "a stuck module's next step is refused before it runs");
        steps.run("other", "init", () -> { }, null); // other modules go on

        release.countDown();
        Parked.until(late::get);
        assertFalse(steps.isStuck("m"));
        assertTrue(fw.logged("INFO m: its drop returned at last; the module is no longer stuck"), fw.log.toString());
        steps.run("m", "init", () -> ran.set(true), null);
        assertTrue(ran.get());
    }

    @Test
    void anInterruptDoesNotCutTheWaitShortAndIsKeptForTheCaller() throws Exception {
        LifecycleSteps steps = new LifecycleSteps(core, 20_000);
        CountDownLatch inStep = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread caller = new Thread(() -> {
            try {
                steps.run("m", "init", () -> {
                    inStep.countDown();
                    awaitQuietly(go);
                }, null);
                outcome.set(Thread.currentThread().isInterrupted());
            } catch (Throwable t) {
                outcome.set(t);
            }
        }, "caller");
        caller.start();
        inStep.await();
        Parked.until(() -> caller.getState() == Thread.State.TIMED_WAITING);
        caller.interrupt();
        Parked.until(() -> !caller.isInterrupted() && caller.getState() == Thread.State.TIMED_WAITING);
        assertNull(outcome.get(), "still waiting for the step");
        go.countDown();
        caller.join();
        assertEquals(Boolean.TRUE, outcome.get(), "returned normally, with the interrupt kept");
    }

    private static void awaitQuietly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
