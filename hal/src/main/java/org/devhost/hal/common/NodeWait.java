package org.devhost.hal.common;

import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.spi.AbstractInterruptibleChannel;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;

/**
 * One wait of one thread for a host node: {@code poll(2)} on the node, on the node's wake
 * descriptor (which {@link HostNode#close()} writes) and on an eventfd of this wait's own, which
 * {@link Thread#interrupt()} of the waiting thread writes. So a wait ends when the node is ready,
 * when the node is closed ({@code EBADF}) and when the thread is interrupted ({@code EINTR}), as a
 * blocked system call ends on a signal. The interrupt status is kept, as a pending signal stays
 * pending and as the kernel's {@code WaitQueue} keeps it.
 *
 * <p>Why an interruptible channel: a thread in {@code poll(2)} is in native code, which {@code
 * Thread.interrupt()} does not reach (it sets a flag and unparks Java waits). The one hook the JDK
 * runs from {@code Thread.interrupt()}, on every JDK and for virtual threads too, is an
 * interruptible channel's: between {@link #begin()} and {@link #end}, an interrupt of the thread
 * closes the channel, on the interrupting thread. This wait is such a channel, and its close
 * writes its eventfd. The other ways were worse: a poll that wakes every so often to look at the
 * flag costs a wake-up per waiter and a delay; a signal sent to the native thread needs a handler
 * in a JVM that owns its signals; and an interrupting party that calls into the HAL would make
 * devfs, the kernel and every caller know the HAL.
 *
 * <p>Cost: only a wait pays it (an eventfd, a close and an object): {@link HostNode} first tries
 * the read or write on its non-blocking descriptor, or for a poll looks at the node with no
 * timeout, and waits here only when that found the node not ready.
 *
 * <p>Invariant: the eventfd is written only while it is open. The interrupting thread writes it
 * under this object's lock and the waiter closes it under the same lock, so a late interrupt
 * (from JDK 21 on the JDK closes the channel after {@code Thread.interrupt()} let go of the thread,
 * possibly after the wait ended) never writes to a descriptor number that was closed and reused.
 *
 * <p>The kernel's watchdog knows a thread blocked here by its stack: a frame of {@code
 * org.devhost.hal.common.NodeWait.await} means the thread waits for a real device, as a reader in a
 * {@code WaitQueue} does, and is not hung in its driver (the kernel's {@code StuckThreads}, which
 * cannot import the HAL, names this class and method as text). Rename neither without it;
 * {@code InterruptWakesWaitersTest} checks that a waiting thread shows that frame.
 */
final class NodeWait extends AbstractInterruptibleChannel {
    private final Syscalls sys;
    private final long one;
    /** This wait's eventfd; -1 once closed. Guarded by {@code this}. */
    private int eventFd;

    private NodeWait(Syscalls sys, long one, int eventFd) {
        this.sys = sys;
        this.one = one;
        this.eventFd = eventFd;
    }

    /**
     * Waits until {@code node} is ready for {@code events} (or reports an error or hang-up), at most
     * {@code timeoutMillis} (negative: no limit). Called by the node, within a call it counts in
     * flight (so both of its descriptors stay open), after a try or a look found it not ready.
     *
     * @return the node's {@code revents}, 0 when the time ran out
     * @throws KernelException EBADF when the node is closed before or while it waits, EINTR when
     *     the thread is interrupted before or while it waits, or the errno of {@code poll(2)}
     */
    static int await(HostNode node, Syscalls sys, NativeBuffers buffers, int fd, int wakeFd, int events,
            int timeoutMillis, String call) {
        int eventFd = sys.eventfd(0, Linux.EFD_CLOEXEC | Linux.EFD_NONBLOCK);
        if (eventFd < 0) {
            throw Errnos.of(eventFd, call + " " + node.path() + ": eventfd for the wait");
        }
        NodeWait wait = new NodeWait(sys, buffers.oneAddress(), eventFd);
        try {
            return wait.poll(node, buffers, fd, wakeFd, events, timeoutMillis, call);
        } finally {
            wait.closeEventFd();
        }
    }

    private int poll(HostNode node, NativeBuffers buffers, int fd, int wakeFd, int events, int timeoutMillis,
            String call) {
        long deadline = timeoutMillis > 0 ? System.nanoTime() + timeoutMillis * 1_000_000L : 0;
        int wait = timeoutMillis;
        // From here an interrupt of this thread writes the eventfd; one that came earlier is
        // pending, and begin() writes it now: either way the poll below returns.
        begin();
        try {
            while (true) {
                // Checked before each poll: a close that came before this line is seen here, one
                // that comes after it left the wake descriptor readable.
                if (node.isClosed()) {
                    throw node.closedWhileWaiting(call);
                }
                ByteBuffer pfds = buffers.words();
                pfds.putInt(0, fd).putShort(4, (short) events).putShort(6, (short) 0);
                pfds.putInt(Linux.POLLFD_SIZE, wakeFd).putShort(12, Linux.POLLIN).putShort(14, (short) 0);
                pfds.putInt(2 * Linux.POLLFD_SIZE, eventFd).putShort(20, Linux.POLLIN).putShort(22, (short) 0);
                int n = sys.poll(buffers.wordsAddress(), 3, wait);
                if (n < 0 && !Errnos.is(n, Errno.EINTR)) {
                    throw Errnos.of(n, "poll " + node.path());
                }
                if (pfds.getShort(14) != 0 || node.isClosed()) {
                    throw node.closedWhileWaiting(call);
                }
                if (n > 0 && pfds.getShort(6) != 0) {
                    return pfds.getShort(6) & 0xffff; // ready: an interrupt now is for the next wait
                }
                if (pfds.getShort(22) != 0) {
                    throw new KernelException(Errno.EINTR, call + " " + node.path()
                            + ": interrupted while it waited for the device");
                }
                if (n == 0) {
                    return 0;
                }
                if (timeoutMillis > 0) { // a signal (EINTR of poll itself): wait for what is left
                    wait = (int) Math.max(0, (deadline - System.nanoTime()) / 1_000_000L);
                }
            }
        } finally {
            try {
                end(true);
            } catch (AsynchronousCloseException interrupted) {
                // ClosedByInterruptException: the interrupt did its work (it wrote the eventfd),
                // and its status stays set for the caller
            }
        }
    }

    /** On the interrupting thread (or on this one, when the interrupt came first): wake the poll. */
    @Override
    protected void implCloseChannel() {
        synchronized (this) {
            if (eventFd >= 0) {
                // EFD_NONBLOCK: a full counter (never, at one write per wait) is EAGAIN, and readable anyway
                sys.write(eventFd, one, 8);
            }
        }
    }

    private void closeEventFd() {
        synchronized (this) {
            sys.close(eventFd);
            eventFd = -1;
        }
    }
}
