package org.devhost.kernel;

/** The {@code poll(2)} event bits (Linux values). */
public final class PollEvents {
    public static final int POLLIN = 0x001;
    public static final int POLLPRI = 0x002;
    public static final int POLLOUT = 0x004;
    public static final int POLLERR = 0x008;
    public static final int POLLHUP = 0x010;
    public static final int POLLRDNORM = 0x040;
    public static final int POLLWRNORM = 0x100;

    /** What a device without a poll operation reports: readable and writable ({@code DEFAULT_POLLMASK}). */
    public static final int DEFAULT_MASK = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;

    private PollEvents() {}
}
