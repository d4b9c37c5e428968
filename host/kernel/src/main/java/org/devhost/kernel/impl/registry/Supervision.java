package org.devhost.kernel.impl.registry;

import org.osgi.framework.Bundle;

/**
 * The supervisor as the layers below it see it: what they tell it (a driver's fault, a failed
 * init) and the one thing they ask (whether it will restart a module). The supervisor implements
 * it and sets itself on {@link KernelCore} while it runs, so that nothing below it names it.
 * Every method is called on the caller's thread and must not block.
 */
public interface Supervision {
    /** A driver's operation threw something other than a KernelException (see KernelListener#driverFault). */
    void driverFault(String module, String operation, Throwable error);

    /** Whether the module's policy has it supervised (restarted when it crashes or hangs). */
    boolean supervised(String module);

    /**
     * A failed init of {@code bundle} is about to be reaped: when the supervisor will restart the
     * module, it reserves the module's numbers first and answers true.
     */
    boolean reserveBeforeReap(Bundle bundle);

    /** An init of the module's bundle failed outside any load; called after the reap. */
    void initFailed(Bundle bundle, String reason);

    /**
     * The process of an isolated module ended (it crashed, ran out of memory, was killed from
     * outside, or broke the protocol) while its bundle was started: a crash, as an init's failure is.
     */
    void processEnded(Bundle bundle, String reason);
}
