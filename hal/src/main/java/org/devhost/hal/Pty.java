package org.devhost.hal;

import org.devhost.kernel.OpenFlags;

/**
 * A pseudo-terminal pair: the {@code /dev/ptmx} master and its {@code /dev/pts/N} slave. Closing
 * the pair closes both sides.
 *
 * <pre>{@code
 * try (Pty pty = Pty.open(hal)) {
 *     pty.master().write(ByteBuffer.wrap("hi\n".getBytes()));
 *     // the slave reads "hi\n"
 * }
 * }</pre>
 */
public record Pty(DeviceNode master, DeviceNode slave, int index) implements AutoCloseable {

    /** Opens {@code /dev/ptmx}, unlocks the slave (TIOCSPTLCK 0), asks its number (TIOCGPTN) and opens it. */
    public static Pty open(Hal hal) {
        DeviceNode master = hal.open("/dev/ptmx", OpenFlags.O_RDWR | Hal.O_NOCTTY);
        try {
            HostIoctls.setPtyLocked(master, false);
            int n = HostIoctls.ptyNumber(master);
            DeviceNode slave = hal.open("/dev/pts/" + n, OpenFlags.O_RDWR | Hal.O_NOCTTY);
            return new Pty(master, slave, n);
        } catch (RuntimeException e) {
            master.close();
            throw e;
        }
    }

    @Override
    public void close() {
        try {
            slave.close();
        } finally {
            master.close();
        }
    }
}
