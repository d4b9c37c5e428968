package org.devhost.hal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A terminal's window size ({@code struct winsize}: four unsigned shorts). Immutable value.
 *
 * <pre>{@code
 * WinSize.set(pty.master(), new WinSize(40, 120, 0, 0));
 * assert WinSize.get(pty.slave()).cols() == 120;
 * }</pre>
 */
public record WinSize(int rows, int cols, int xpixel, int ypixel) {
    /** TIOCGWINSZ. */
    public static WinSize get(DeviceNode tty) {
        ByteBuffer b = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
        tty.ioctl(KnownIoctls.TIOCGWINSZ, b);
        return new WinSize(b.getShort(0) & 0xffff, b.getShort(2) & 0xffff, b.getShort(4) & 0xffff, b.getShort(6) & 0xffff);
    }

    /** TIOCSWINSZ. */
    public static void set(DeviceNode tty, WinSize size) {
        ByteBuffer b = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
        b.putShort(0, (short) size.rows).putShort(2, (short) size.cols).putShort(4, (short) size.xpixel).putShort(6, (short) size.ypixel);
        tty.ioctl(KnownIoctls.TIOCSWINSZ, b);
    }
}
