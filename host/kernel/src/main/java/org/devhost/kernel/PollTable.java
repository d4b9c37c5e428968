package org.devhost.kernel;

/**
 * The wait queues a driver's {@link FileOperations#poll(Object, File, PollTable) poll} names as
 * the ones that signal a change of the file's readiness (Linux's {@code poll_wait}, Rust-for-Linux's
 * {@code PollTable::register_wait}).
 *
 * <p>A driver calls {@link #register} for every queue whose {@link WaitQueue#wakeAll} may make the
 * file readable, writable or hung up, <em>before</em> it computes the mask (or with the queue's
 * lock held while it computes it): a wake that comes after the register call reaches the
 * subscriber, so no change between "register" and "return the mask" is lost.
 *
 * <pre>{@code
 * public int poll(Void data, File file, PollTable table) {
 *     table.register(inq);
 *     table.register(outq);
 *     lock.lock();
 *     try {
 *         return (rp != wp ? PollEvents.POLLIN | PollEvents.POLLRDNORM : 0)
 *                 | (free() > 0 ? PollEvents.POLLOUT | PollEvents.POLLWRNORM : 0);
 *     } finally {
 *         lock.unlock();
 *     }
 * }
 * }</pre>
 *
 * <p>Who waits behind the table is the kernel's business: a caller of {@link OpenFile#poll(int,
 * long)} parked until a wake, a {@link OpenFile#poll(Runnable)} subscriber, or nobody (a plain
 * {@link OpenFile#poll()}, where register does nothing). Registering one queue twice in one poll
 * counts once. The table is valid during the poll call only; a register after the poll returned
 * is ignored. The queue must come from {@link DeviceRegistry#newWaitQueue} (else EINVAL).
 * Thread-safe.
 *
 * @since 1.3
 */
@org.osgi.annotation.versioning.ProviderType
public interface PollTable {
    /**
     * Adds {@code queue} to the queues whose next {@link WaitQueue#wakeAll} wakes this poll's
     * subscriber. Never blocks; never throws for a kernel-made queue.
     *
     * @throws KernelException EINVAL when {@code queue} was not made by {@link DeviceRegistry#newWaitQueue}
     */
    void register(WaitQueue queue);
}
