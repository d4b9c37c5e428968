package org.devhost.kernel.impl.chrdev;

import java.util.Set;
import org.devhost.kernel.Operation;

/**
 * Operations that forward to a driver elsewhere (an isolated module's process): they implement
 * every method, so the operation table is the one the driver's own class has, as its kernel
 * reported it, not what reflection over this class would find.
 */
public interface ForwardedOperations {
    /** The driver's operation table; contains {@link Operation#OPEN}. */
    Set<Operation> operations();

    /**
     * Whether the operation {@code caller} waits for is running in the driver's code where the
     * driver runs (not parked in a kernel wait there): the watchdog's question, which only the
     * other side can answer. When it cannot tell in time, the answer is true (as for code that
     * does not answer).
     */
    boolean runningInDriver(Thread caller);

    /** Where the operation {@code caller} waits for last ran over there (a thread and a frame), when known. */
    default String where(Thread caller) {
        return null;
    }
}
