package org.devhost.kernel;

/**
 * A driver's promise to call in (the Kura {@code CriticalComponent} pattern): a driver with
 * threads of its own, whose failure no file operation would show, asks for one with {@link
 * DeviceRegistry#heartbeat(long)} and calls {@link #beat()} at least once per period. A supervised
 * module that misses its period is treated as hung: the supervisor restarts it as it restarts a
 * driver whose operation never returns (CRASHED/HUNG events, back-off, give-up).
 *
 * <p>The supervisor checks every 250 ms, so a period is honoured to within that tick; choose a
 * period several times longer than the interval the driver beats at. The heartbeat belongs to the
 * module: it ends with {@link #close()} or when the module stops, whichever comes first, and a
 * restarted driver asks again in its new init.
 *
 * <p>Example (the test driver {@code itests/.../drivers/Beating.java} runs this):
 * <pre>{@code
 * heartbeat = registry.heartbeat(1000);           // in init
 * worker = new Thread(() -> {
 *     while (running) {
 *         pollTheHardware();
 *         heartbeat.beat();                          // at least once a second
 *     }
 * });
 * }</pre>
 *
 * <p>Thread-safe: {@link #beat()} is a single volatile write and may be called from any thread.
 *
 * @since 1.5
 */
@org.osgi.annotation.versioning.ProviderType
public interface Heartbeat extends AutoCloseable {
    /** The period asked for, in milliseconds. */
    long periodMillis();

    /** Calls in: the driver is alive now. Cheap (one volatile write); a closed heartbeat ignores it. */
    void beat();

    /** Stops watching; idempotent. A module that stops closes its heartbeats itself. */
    @Override
    void close();
}
