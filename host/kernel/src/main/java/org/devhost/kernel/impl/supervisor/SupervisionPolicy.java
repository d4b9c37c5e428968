package org.devhost.kernel.impl.supervisor;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

/**
 * How one module is supervised: Configuration Admin factory configurations of PID {@link #PID}
 * (a {@code .cfg} file {@code conf/org.devhost.supervision-scull.cfg} holding {@code module=scull}),
 * described by Metatype. FileInstall takes only {@code -} before the configuration's name: a file
 * named {@code org.devhost.supervision~scull.cfg} becomes a plain configuration of that whole PID
 * and is ignored. The module is the {@code module} property, not the file's name; {@code module=*}
 * sets the defaults for every module without one of its own. Property names have dots where the
 * methods have underscores ({@code fault.threshold=2}).
 */
@ObjectClassDefinition(id = SupervisionPolicy.PID, name = "devhost module supervision",
        description = "Restart policy of a driver module (MINIX 3 reincarnation server, Erlang/OTP restart intensity)")
public @interface SupervisionPolicy {
    String PID = "org.devhost.supervision";

    @AttributeDefinition(description = "module name this policy is for; * for every module without its own")
    String module() default "*";

    @AttributeDefinition(description = "supervise the module: restart it when it crashes or hangs")
    boolean enabled() default true;

    @AttributeDefinition(description = "faults (operations that threw) within fault_window_ms that count as a crash")
    int fault_threshold() default 5;

    @AttributeDefinition(description = "window of fault_threshold, in milliseconds")
    long fault_window_ms() default 10_000;

    @AttributeDefinition(description = "an operation running in the driver (not parked in a kernel wait) longer than this is a hang, in milliseconds; 0 switches the watchdog off")
    long watchdog_ms() default 10_000;

    @AttributeDefinition(description = "give up (FAILED) after more than this many restarts within restart_window_ms")
    int max_restarts() default 5;

    @AttributeDefinition(description = "window of max_restarts, in milliseconds")
    long restart_window_ms() default 60_000;

    @AttributeDefinition(description = "back-off before the second restart, doubled for each next one (the first is at once), in milliseconds")
    long backoff_initial_ms() default 1000;

    @AttributeDefinition(description = "longest back-off, in milliseconds")
    long backoff_max_ms() default 30_000;

    @AttributeDefinition(description = "running this long without a crash resets the back-off and the restart window, in milliseconds")
    long healthy_after_ms() default 60_000;

    @AttributeDefinition(description = "where the module runs from its next load on: process (a JVM process of its own, ended by"
            + " SIGKILL; dev:insmod --isolated), none (the host's process), or empty for what its jar asks (Devhost-Isolation)",
            options = {@Option(value = ""), @Option(value = "process"), @Option(value = "none")}, required = false)
    String isolation() default "";

    @AttributeDefinition(description = "the heap bound of the module's process (-Xmx, e.g. 64m) when it is isolated;"
            + " empty for the host's devhost.isolation.heap (64m)", required = false)
    String isolation_heap() default "";
}
