package org.devhost.kernel.testing;

import java.time.Duration;
import java.util.List;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.KernelLog;
import org.devhost.kernel.LogLine;
import org.devhost.kernel.impl.registry.StandaloneKernel;
import org.osgi.service.log.Logger;

/**
 * The kernel without a framework, for a driver's unit tests: the same device table, numbering,
 * revocation and log ring as in the host. In the host the framework gives each bundle its registry
 * and feeds the log; here the test does: {@link #load} is what a driver bundle's start gets,
 * {@link #unload} is what its stop does (everything it registered goes, open files get ENODEV),
 * and {@link #logger} is the Logger its component would get.
 *
 * <pre>{@code
 * TestKernel kernel = new TestKernel();
 * DeviceRegistry driver = kernel.load("hello");
 * driver.registerMisc("hello", MiscDevice.DYNAMIC_MINOR, (File f) -> null);   // init
 * DeviceRegistry user = kernel.load("user");
 * try (OpenFile f = user.open("hello", OpenFlags.O_RDONLY)) {
 *     kernel.logger("hello").info("opened {}", f.deviceName());
 * }
 * kernel.unload(driver);                                                     // drop
 * assert user.device("hello").isEmpty();
 * assert kernel.messages("hello").contains("opened hello");
 * }</pre>
 *
 * <p>Thread-safe, as the kernel is: drivers are driven from as many threads as a test starts.
 */
public final class TestKernel {
    private final StandaloneKernel kernel;

    /** A kernel whose revocation waits at most 5 s for operations in flight, as the host's default. */
    public TestKernel() {
        this(Duration.ofSeconds(5));
    }

    /** @param revokeTimeout how long an unload waits for operations still running in the driver */
    public TestKernel(Duration revokeTimeout) {
        kernel = new StandaloneKernel(revokeTimeout.toMillis());
    }

    /** A registry for a new module, as a driver bundle gets one (or a user's, to open devices with). */
    public DeviceRegistry load(String module) {
        return kernel.load(module);
    }

    /** Unloads a module: what a bundle stop does; everything it still holds is revoked and freed. */
    public void unload(DeviceRegistry module) {
        kernel.unload(module);
    }

    /**
     * Loads a driver component as the host loads its bundle, from what bnd wrote at build time:
     * the module named by its {@code @KernelModule}, its init (an {@code @Activate} constructor or
     * method) given its {@code DeviceRegistry}, a {@code Logger} and its properties, the parameters
     * typed and checked by its Metatype as {@code dev:insmod} does, and, for the one-class form, its
     * {@code @MiscDeviceProperties} device registered with that name, minor and mode. So a typo in
     * an annotation, a mode out of range or a parameter of the wrong type fails the test as it
     * would fail the load. A failed init leaves nothing registered and throws what it threw.
     *
     * <pre>{@code
     * LoadedModule<Counter> counter = kernel.load(Counter.class, "start=3");
     * try (OpenFile f = kernel.load("user").open("counter", OpenFlags.O_RDONLY)) { ... }
     * kernel.unload(counter);                  // its @Deactivate, then everything it held goes
     * }</pre>
     *
     * @param component the component class; its {@code OSGI-INF/<class>.xml} (bnd-maven-plugin's
     *     bnd-process, which runs before the tests) must be on the class path
     * @param parameters {@code name=value}, as {@code dev:insmod JAR name=value} takes them
     * @throws org.devhost.kernel.KernelException EINVAL for a parameter that does not fit its
     *     declaration; what the init throws
     * @throws IllegalStateException when the class is not a component bnd processed, or needs
     *     something the kit does not provide (the message says what)
     * @since 1.1
     */
    public <C> LoadedModule<C> load(Class<C> component, String... parameters) {
        return ComponentLoader.load(this, component, parameters);
    }

    /**
     * Unloads a component loaded by {@link #load(Class, String...)} as a bundle stop does: its misc
     * device from the one-class form goes first (revoked: open files get ENODEV), then its
     * {@code @Deactivate} runs, then everything it still holds is revoked and freed.
     *
     * @since 1.1
     */
    public void unload(LoadedModule<?> module) {
        ComponentLoader.unload(this, module);
    }

    /** An OSGi Logger that writes into this kernel's log under {@code module}, {@code {}} placeholders included. */
    public Logger logger(String module) {
        return kernel.logger(module);
    }

    /** The kernel log ring ({@code dev:dmesg}). */
    public KernelLog log() {
        return kernel.log();
    }

    /** What {@code module} logged (and what the kernel logged about it), oldest first. */
    public List<String> messages(String module) {
        return kernel.log().lines().stream().filter(l -> l.source().equals(module)).map(LogLine::message).toList();
    }

    /**
     * Whether {@code t} is parked in a kernel wait ({@link org.devhost.kernel.WaitQueue}), the
     * state a test waits for before it unloads, interrupts or wakes: a thread that is merely
     * running, or queued on the driver's own lock, is not.
     */
    public static boolean isParked(Thread t) {
        Thread.State s = t.getState();
        if (s != Thread.State.WAITING && s != Thread.State.TIMED_WAITING) {
            return false;
        }
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getClassName().equals(StandaloneKernel.WAIT_QUEUE_CLASS)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Returns once {@code t} is parked in a kernel wait.
     *
     * @throws AssertionError when {@code t} ends first, or {@code limit} passes (a bound against a
     *     hung test, not a timing the test relies on)
     */
    public static void awaitParked(Thread t, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!isParked(t)) {
            if (!t.isAlive()) {
                throw new AssertionError(t.getName() + " ended without waiting in the kernel");
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(t.getName() + " is not parked in a kernel wait after " + limit + "; it is "
                        + t.getState());
            }
            Thread.sleep(1);
        }
    }
}
