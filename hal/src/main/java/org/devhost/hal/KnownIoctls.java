package org.devhost.hal;

import java.util.List;
import java.util.Optional;

/**
 * The ioctls devhost knows by name (x86-64 numbers), with how each really takes its argument.
 * {@code dev:ioctl} takes these names; any other command is given as a number.
 *
 * <p>The table is what the HAL trusts over a number's {@code _IOC} bits: the old tty and file
 * commands ({@code TCGETS}, {@code FIGETBSZ}) encode no size although the kernel writes memory,
 * and some newer ones encode a smaller type than the struct the kernel really copies
 * ({@code TUNSETIFF} says 4 bytes and copies a 40-byte {@code struct ifreq}), or encode memory
 * while taking a plain number ({@code TUNSETPERSIST}). Commands the HAL never sends are in {@link
 * RefusedIoctls}. Immutable; thread-safe.
 */
public final class KnownIoctls {
    public static final int TCGETS = 0x5401;
    public static final int TIOCGWINSZ = 0x5413;
    public static final int TIOCSWINSZ = 0x5414;
    public static final int FIONREAD = 0x541B;
    public static final int TIOCGPTN = 0x80045430;
    public static final int TIOCSPTLCK = 0x40045431;
    public static final int KVM_GET_API_VERSION = 0xAE00;
    public static final int KVM_CHECK_EXTENSION = 0xAE03;
    public static final int LOOP_CTL_GET_FREE = 0x4C82;
    public static final int LOOP_CONFIGURE = 0x4C0A;
    public static final int LOOP_GET_STATUS64 = 0x4C05;
    public static final int BLKGETSIZE64 = 0x80081272;
    public static final int TUNSETIFF = 0x400454CA;
    public static final int RNDGETENTCNT = 0x80045200;
    public static final int GPIO_GET_CHIPINFO_IOCTL = 0x8044B401;
    public static final int I2C_SLAVE = 0x0703;
    public static final int EVIOCGNAME_256 = 0x81004506;
    public static final int RTC_RD_TIME = 0x80247009;
    public static final int WDIOC_GETSUPPORT = 0x80285700;
    /** @since 1.1 */
    public static final int TCSETS = 0x5402;
    /** @since 1.1 */
    public static final int TCSETSW = 0x5403;
    /** @since 1.1 */
    public static final int TCSETSF = 0x5404;
    /** @since 1.1 */
    public static final int TIOCGPGRP = 0x540F;
    /** @since 1.1 */
    public static final int TIOCOUTQ = 0x5411;
    /** @since 1.1 */
    public static final int TIOCMGET = 0x5415;
    /** @since 1.1 */
    public static final int TIOCGSID = 0x5429;
    /** @since 1.1 */
    public static final int TIOCGPTLCK = 0x80045439;
    /** @since 1.1 */
    public static final int FIBMAP = 0x0001;
    /** @since 1.1 */
    public static final int FIGETBSZ = 0x0002;
    /** @since 1.1 */
    public static final int TUNGETIFF = 0x800454D2;
    /** @since 1.1 */
    public static final int TUNGETFEATURES = 0x800454CF;
    /** @since 1.1 */
    public static final int TUNSETPERSIST = 0x400454CB;

    private static final List<KnownIoctl> TABLE = List.of(
            new KnownIoctl("TCGETS", TCGETS, KnownIoctl.Arg.OUT, 60, "get terminal attributes (struct termios)"),
            new KnownIoctl("TIOCGWINSZ", TIOCGWINSZ, KnownIoctl.Arg.OUT, 8, "get window size (rows, cols, xpixel, ypixel)"),
            new KnownIoctl("TIOCSWINSZ", TIOCSWINSZ, KnownIoctl.Arg.IN, 8, "set window size (rows, cols, xpixel, ypixel)"),
            new KnownIoctl("FIONREAD", FIONREAD, KnownIoctl.Arg.OUT, 4, "bytes waiting to be read"),
            new KnownIoctl("TIOCGPTN", TIOCGPTN, KnownIoctl.Arg.OUT, 4, "pty number of a /dev/ptmx master"),
            new KnownIoctl("TIOCSPTLCK", TIOCSPTLCK, KnownIoctl.Arg.IN, 4, "lock (1) or unlock (0) the pty slave"),
            new KnownIoctl("KVM_GET_API_VERSION", KVM_GET_API_VERSION, KnownIoctl.Arg.NONE, 0, "KVM API version (12)"),
            new KnownIoctl("KVM_CHECK_EXTENSION", KVM_CHECK_EXTENSION, KnownIoctl.Arg.VALUE, 0, "is a KVM extension available"),
            new KnownIoctl("LOOP_CTL_GET_FREE", LOOP_CTL_GET_FREE, KnownIoctl.Arg.NONE, 0, "number of a free loop device"),
            new KnownIoctl("LOOP_CONFIGURE", LOOP_CONFIGURE, KnownIoctl.Arg.IN, 304, "set up a loop device (struct loop_config)"),
            new KnownIoctl("LOOP_GET_STATUS64", LOOP_GET_STATUS64, KnownIoctl.Arg.OUT, 232, "loop device status (struct loop_info64)"),
            new KnownIoctl("BLKGETSIZE64", BLKGETSIZE64, KnownIoctl.Arg.OUT, 8, "block device size in bytes"),
            new KnownIoctl("TUNSETIFF", TUNSETIFF, KnownIoctl.Arg.IN, 40, "attach to a tun/tap interface (struct ifreq)"),
            new KnownIoctl("RNDGETENTCNT", RNDGETENTCNT, KnownIoctl.Arg.OUT, 4, "entropy count of the random pool"),
            new KnownIoctl("GPIO_GET_CHIPINFO_IOCTL", GPIO_GET_CHIPINFO_IOCTL, KnownIoctl.Arg.OUT, 68, "GPIO chip name, label, lines"),
            new KnownIoctl("I2C_SLAVE", I2C_SLAVE, KnownIoctl.Arg.VALUE, 0, "select the I2C slave address"),
            new KnownIoctl("EVIOCGNAME", EVIOCGNAME_256, KnownIoctl.Arg.OUT, 256, "input device name"),
            new KnownIoctl("RTC_RD_TIME", RTC_RD_TIME, KnownIoctl.Arg.OUT, 36, "read the RTC time (struct rtc_time)"),
            new KnownIoctl("WDIOC_GETSUPPORT", WDIOC_GETSUPPORT, KnownIoctl.Arg.OUT, 40, "watchdog info (struct watchdog_info)"),
            new KnownIoctl("TCSETS", TCSETS, KnownIoctl.Arg.IN, 60, "set terminal attributes now (struct termios)"),
            new KnownIoctl("TCSETSW", TCSETSW, KnownIoctl.Arg.IN, 60, "set terminal attributes after output drains"),
            new KnownIoctl("TCSETSF", TCSETSF, KnownIoctl.Arg.IN, 60, "set terminal attributes after draining, flush input"),
            new KnownIoctl("TIOCGPGRP", TIOCGPGRP, KnownIoctl.Arg.OUT, 4, "foreground process group of a terminal"),
            new KnownIoctl("TIOCOUTQ", TIOCOUTQ, KnownIoctl.Arg.OUT, 4, "bytes waiting to be sent"),
            new KnownIoctl("TIOCMGET", TIOCMGET, KnownIoctl.Arg.OUT, 4, "modem control lines"),
            new KnownIoctl("TIOCGSID", TIOCGSID, KnownIoctl.Arg.OUT, 4, "session of a terminal"),
            new KnownIoctl("TIOCGPTLCK", TIOCGPTLCK, KnownIoctl.Arg.OUT, 4, "is the pty slave locked"),
            new KnownIoctl("FIBMAP", FIBMAP, KnownIoctl.Arg.IN, 4, "block of a file block (read and written back)"),
            new KnownIoctl("FIGETBSZ", FIGETBSZ, KnownIoctl.Arg.OUT, 4, "block size of the node's file system"),
            new KnownIoctl("TUNGETIFF", TUNGETIFF, KnownIoctl.Arg.OUT, 40, "the attached tun/tap interface (struct ifreq)"),
            new KnownIoctl("TUNGETFEATURES", TUNGETFEATURES, KnownIoctl.Arg.OUT, 4, "tun/tap flags this kernel supports"),
            new KnownIoctl("TUNSETPERSIST", TUNSETPERSIST, KnownIoctl.Arg.VALUE, 0, "keep (1) or drop (0) the interface on close"));

    /** The table by number: every ioctl call through the HAL looks its command up here. */
    private static final java.util.Map<Integer, KnownIoctl> BY_VALUE =
            TABLE.stream().collect(java.util.stream.Collectors.toUnmodifiableMap(KnownIoctl::value, k -> k));

    private KnownIoctls() {}

    public static List<KnownIoctl> all() {
        return TABLE;
    }

    /** By name, case-insensitive. */
    public static Optional<KnownIoctl> byName(String name) {
        return TABLE.stream().filter(k -> k.name().equalsIgnoreCase(name)).findFirst();
    }

    public static Optional<KnownIoctl> byValue(int value) {
        return Optional.ofNullable(BY_VALUE.get(value));
    }
}
