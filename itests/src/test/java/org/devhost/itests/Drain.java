package org.devhost.itests;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A child process's output copied on a thread of its own, never the common pool's: with two cores
 * that pool has one thread (on JDK 25 CompletableFuture uses it even then), and one copy that
 * waits on a long-lived host would hold up every other, as the JDK 25 pass of CI showed.
 */
final class Drain {
    private final Thread thread;

    private Drain(Thread thread) {
        this.thread = thread;
    }

    /** Starts copying {@code from} into {@code to} until its end. */
    static Drain of(InputStream from, OutputStream to) {
        Thread t = new Thread(() -> {
            try {
                from.transferTo(to);
            } catch (IOException gone) {
                // the process went away
            }
        }, "itest-drain");
        t.setDaemon(true);
        t.start();
        return new Drain(t);
    }

    /** Waits until the copy has reached the end (the process closed its output), within the bound. */
    void get(long bound, TimeUnit unit) throws InterruptedException, TimeoutException {
        thread.join(unit.toMillis(bound));
        if (thread.isAlive()) {
            throw new TimeoutException("the process's output did not end within " + bound + " " + unit);
        }
    }
}
