package org.devhost.kernel.impl.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.devhost.kernel.Errno;
import org.devhost.kernel.impl.FakeFramework.FakeBundle;
import org.devhost.kernel.impl.FakeFramework;
import org.devhost.kernel.impl.Parked;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;

/** Whether a module's init ran, as SCR tells it, and the errno a load or restart reports for it. */
@Timeout(30)
class ComponentStatesTest {
    private final FakeFramework fw = new FakeFramework();
    private final FakeBundle module = fw.module("m");

    @Test
    void anActiveComponentOrNoneIsLoadedAndAFailedOneGivesTheDriversOwnMessage() throws Exception {
        assertNull(ComponentStates.awaitInit(fw.scr, module.bundle), "no component configuration at all");
        module.componentState = ComponentConfigurationDTO.ACTIVE;
        assertNull(ComponentStates.awaitInit(fw.scr, module.bundle));
        module.componentState = ComponentConfigurationDTO.UNSATISFIED_REFERENCE;
        assertNull(ComponentStates.awaitInit(fw.scr, module.bundle), "one still waiting for a service counts as loaded");

        module.componentState = ComponentConfigurationDTO.FAILED_ACTIVATION;
        assertEquals("init threw", ComponentStates.awaitInit(fw.scr, module.bundle));
        module.initFailure = "java.lang.reflect.InvocationTargetException\n\tat x.y(Z.java:1)\n"
                + "Caused by: java.lang.IllegalStateException: wrapped\n\tat a.b(C.java:2)\n"
                + "Caused by: org.devhost.kernel.KernelException: scull: out of memory (ENOMEM)\n\tat d.e(F.java:3)";
        assertEquals("scull: out of memory (ENOMEM)", ComponentStates.awaitInit(fw.scr, module.bundle),
                "the last cause is the driver's own exception");
        module.initFailure = "java.lang.IllegalStateException: boom\n\tat a.b(C.java:2)";
        assertEquals("boom", ComponentStates.awaitInit(fw.scr, module.bundle));
        module.initFailure = "init failed: no device here";
        assertEquals("init failed: no device here", ComponentStates.awaitInit(fw.scr, module.bundle),
                "text before a colon that is no class name stays");
    }

    @Test
    void anImmediateComponentThatIsOnlySatisfiedIsAnInitStillRunning() throws Exception {
        module.componentState = ComponentConfigurationDTO.SATISFIED;
        module.immediate = false;
        assertNull(ComponentStates.awaitInit(fw.scr, module.bundle), "a delayed component activates on first use");

        module.immediate = true;
        AtomicReference<Thread> waiter = new AtomicReference<>();
        CompletableFuture<String> result = CompletableFuture.supplyAsync(() -> {
            waiter.set(Thread.currentThread());
            try {
                return ComponentStates.awaitInit(fw.scr, module.bundle);
            } catch (InterruptedException e) {
                return "interrupted";
            }
        }, r -> new Thread(r, "await init").start());
        Parked.until(() -> waiter.get() != null && waiter.get().getState() == Thread.State.TIMED_WAITING);
        assertFalse(result.isDone(), "waits while the init runs");
        module.componentState = ComponentConfigurationDTO.ACTIVE;
        assertNull(result.get());
    }

    @Test
    void theErrnoOfAFailureIsTheOneItNamesElseEio() {
        assertEquals(Errno.ETIMEDOUT, ComponentStates.errnoOf(ComponentStates.STILL_RUNNING));
        assertEquals("still running after 10 s", ComponentStates.STILL_RUNNING);
        assertEquals(Errno.ENOMEM, ComponentStates.errnoOf("scull: out of memory (ENOMEM)"));
        assertEquals(Errno.EBUSY, ComponentStates.errnoOf("major 254 taken (EBUSY) by x (ENOENT)"));
        assertEquals(Errno.EIO, ComponentStates.errnoOf("odd (EWHATEVER)"));
        assertEquals(Errno.EIO, ComponentStates.errnoOf("boom"));
    }
}
