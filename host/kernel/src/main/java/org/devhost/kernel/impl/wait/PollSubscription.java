package org.devhost.kernel.impl.wait;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.PollTable;
import org.devhost.kernel.WaitQueue;

/**
 * One poll's subscription: the {@link PollTable} a driver's poll registers its wait queues in, and
 * the one-shot action that runs when the first of them is woken.
 *
 * <p>Invariants: {@code done} goes from false to true once, by {@link #fire} (the action runs) or
 * {@link #cancel} (it never does), whichever comes first. Once done, the subscription is on no
 * queue's listener list, or is about to be taken off by the thread that set {@code done}; a
 * register that races with it takes itself off again. {@code queues} is guarded by {@code this};
 * the action runs outside every lock of this class and of the queues' listener lists.
 */
public final class PollSubscription implements PollTable {
    /** What a plain poll passes: registering is a no-op (Linux's NULL {@code poll_table}). */
    public static final PollTable NONE = queue -> {};

    private final Runnable action;
    private final Consumer<Throwable> onFailure;
    private final AtomicBoolean done = new AtomicBoolean();
    private final List<WaitQueueImpl> queues = new ArrayList<>(2);

    /** @param onFailure told what {@code action} threw (it runs on a driver's thread, which must not get it) */
    public PollSubscription(Runnable action, Consumer<Throwable> onFailure) {
        this.action = action;
        this.onFailure = onFailure;
    }

    @Override
    public void register(WaitQueue queue) {
        if (!(queue instanceof WaitQueueImpl q)) {
            throw new KernelException(Errno.EINVAL, "poll: " + queue + " is not a kernel wait queue;"
                    + " register queues made by DeviceRegistry.newWaitQueue");
        }
        synchronized (this) {
            if (done.get() || queues.contains(q)) {
                return; // the poll is over, or the queue counts once
            }
            queues.add(q);
        }
        q.addListener(this);
        if (done.get()) {
            q.removeListener(this); // fired or cancelled while we were adding: leave nothing behind
        }
    }

    /** True when the driver registered at least one queue. */
    public synchronized boolean hasQueues() {
        return !queues.isEmpty();
    }

    public boolean isDone() {
        return done.get();
    }

    /**
     * Runs the action unless it ran or was cancelled already; called by a woken queue (which has
     * taken this off its own list), by revocation, or by a poller that saw the device go. What the
     * action throws goes to {@code onFailure}, never to the waking thread (a driver's writer).
     */
    public void fire() {
        if (!done.compareAndSet(false, true)) {
            return;
        }
        detach();
        try {
            action.run();
        } catch (Throwable e) {
            if (e instanceof VirtualMachineError vme && !(e instanceof StackOverflowError)) {
                throw vme;
            }
            onFailure.accept(e);
        }
    }

    /** Drops the subscription without running the action; true when this call did it. */
    public boolean cancel() {
        if (!done.compareAndSet(false, true)) {
            return false;
        }
        detach();
        return true;
    }

    private void detach() {
        List<WaitQueueImpl> snapshot;
        synchronized (this) {
            snapshot = new ArrayList<>(queues);
        }
        for (WaitQueueImpl q : snapshot) {
            q.removeListener(this);
        }
    }
}
