package org.devhost.systemd;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.devhost.hal.Hal;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.ModuleManager;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

/**
 * sd_notify(3) for the host when systemd started it ({@code Type=notify}, {@code NOTIFY_SOCKET} in
 * the environment); nothing at all otherwise. One thread, {@value #TICK_MS} ms a tick:
 *
 * <ul>
 *   <li>{@code READY=1} (with {@code MAINPID} and a first {@code STATUS}) once the launcher has
 *       started everything it boots ({@link Readiness#BOOT_FILTER}), devfs is mounted (unless it is
 *       off) and every module is live or has failed for good, so a unit ordered after devhost finds
 *       the devices there. When devfs cannot mount (it does not try again), instead a {@code
 *       STATUS=} with the reason and {@code ERRNO=}, and the host exits with status 1: systemd
 *       fails the start at once, says why in {@code systemctl status}, and its {@code Restart=}
 *       policy decides what comes next, where waiting would hold the start until
 *       {@code TimeoutStartSec} and then kill the host without a reason.
 *   <li>{@code STATUS=} a one-line summary ({@link Readiness#status}), looked at every second and sent
 *       when it changes.
 *   <li>{@code WATCHDOG=1} every half of {@code WATCHDOG_USEC} (when {@code WATCHDOG_PID} is unset
 *       or this process), but only while the kernel is healthy by the supervisor's rules ({@link
 *       Readiness#unhealthy}): a module whose lifecycle step is stuck past its deadline, or a thread
 *       abandoned in a driver, holds the pings, and systemd restarts the host. Each held ping is a
 *       {@code X_DEVHOST_WATCHDOG=held} line instead (systemd ignores {@code X_} names), so a
 *       watcher can tell a held ping from a slow one.
 *   <li>{@code STOPPING=1} when the host stops.
 * </ul>
 *
 * <p>The datagrams go through the HAL ({@link Hal#sendDatagram}): the JDK has no Unix datagram
 * socket. A send that fails is logged once and tried again at the next change or ping.
 */
@Component(immediate = true)
public final class Notify {
    static final long TICK_MS = 100;
    /** STATUS is looked at every this many ticks. */
    static final int STATUS_TICKS = 10;

    private final Hal hal;
    private final Logger log;
    private final String socket;
    private final long watchdogNanos;
    private final Readiness readiness;
    private ScheduledExecutorService thread;
    private boolean ready;
    private String lastStatus;
    private long nextPing;
    private boolean held;
    private boolean failing;
    /** The host cannot become ready and is exiting ({@link #fail}). */
    private boolean exiting;
    private int ticks;

    @Activate
    public Notify(@Reference Hal hal, @Reference ModuleManager modules, @Reference(service = LoggerFactory.class) Logger log,
            BundleContext context) {
        this.hal = hal;
        this.log = log;
        this.socket = System.getenv("NOTIFY_SOCKET");
        this.watchdogNanos = watchdogNanos(System.getenv("WATCHDOG_USEC"), System.getenv("WATCHDOG_PID"), ProcessHandle.current().pid());
        this.readiness = new Readiness(context, modules);
        if (socket == null || socket.isEmpty()) {
            return; // not started by systemd (or not as Type=notify): nothing to tell
        }
        thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "devhost systemd notify");
            t.setDaemon(true);
            return t;
        });
        thread.scheduleWithFixedDelay(this::tick, 0, TICK_MS, TimeUnit.MILLISECONDS);
        log.info("systemd: notifying {}{}", socket, watchdogNanos > 0 ? ", watchdog every " + watchdogNanos / 1_000_000 + " ms" : "");
    }

    /** Half of WATCHDOG_USEC when the watchdog is meant for this process, else 0 (off). */
    static long watchdogNanos(String usec, String pid, long self) {
        if (usec == null || (pid != null && !pid.isBlank() && !pid.trim().equals(Long.toString(self)))) {
            return 0;
        }
        try {
            long u = Long.parseLong(usec.trim());
            return u > 0 ? u * 1000 / 2 : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private void tick() {
        try {
            if (!ready) {
                Readiness.Failure failure = readiness.failure();
                if (failure != null) {
                    fail(failure);
                    return;
                }
                String waiting = readiness.waitingFor();
                if (waiting != null) {
                    return;
                }
                lastStatus = readiness.status();
                ready = send("READY=1\nMAINPID=" + ProcessHandle.current().pid() + "\nSTATUS=" + lastStatus);
                nextPing = System.nanoTime();
                return;
            }
            if (++ticks % STATUS_TICKS == 0) { // a module's status reads its jar's size: once a second is enough
                String status = readiness.status();
                if (!status.equals(lastStatus) && send("STATUS=" + status)) {
                    lastStatus = status;
                }
            }
            if (watchdogNanos > 0 && System.nanoTime() - nextPing >= 0) {
                nextPing = System.nanoTime() + watchdogNanos;
                String why = readiness.unhealthy();
                if (why == null) {
                    if (held) {
                        log.info("systemd: watchdog pings resume");
                        held = false;
                    }
                    send("WATCHDOG=1");
                } else {
                    if (!held) {
                        log.error("systemd: watchdog pings held, so systemd will restart the host unless it recovers: {}", why);
                        held = true;
                    }
                    send("X_DEVHOST_WATCHDOG=held");
                }
            }
        } catch (RuntimeException | InvalidSyntaxException e) {
            log.error("systemd: notify failed: {}", e.toString());
        }
    }

    /** The host cannot become ready: systemd is told why, and the host exits with status 1. */
    private void fail(Readiness.Failure failure) {
        if (exiting) {
            return;
        }
        exiting = true;
        String why = failure.why().replace('\n', ' ');
        send("STATUS=" + why + "\nERRNO=" + failure.errno());
        log.error("systemd: the host cannot start as a service: {}; it exits with status 1", why);
        System.err.println("devhost: cannot start as a service: " + why + "; exiting with status 1");
        // not on this thread: the exit stops the framework (the launcher's shutdown hook), and with
        // it this component, whose deactivation waits for this thread
        Thread exit = new Thread(() -> System.exit(1), "devhost systemd exit");
        exit.start();
    }

    private boolean send(String message) {
        try {
            hal.sendDatagram(socket, ByteBuffer.wrap(message.getBytes(StandardCharsets.UTF_8)));
            failing = false;
            return true;
        } catch (KernelException e) {
            if (!failing) {
                log.warn("systemd: cannot notify {} ({}); trying again at the next change", socket, e.getMessage());
                failing = true;
            }
            return false;
        }
    }

    @Deactivate
    void deactivate() {
        if (thread == null) {
            return;
        }
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS); // the last tick's send, not a later one
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        send("STOPPING=1");
    }
}
