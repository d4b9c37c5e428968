package org.devhost.hal;

import org.devhost.kernel.DeviceNumber;

/**
 * What {@code fstat(2)} reports about a node: its type and mode bits and, for a device, its
 * number. Immutable value.
 *
 * @param mode {@code st_mode}: type bits ({@code S_IFMT}) and permissions
 * @param rdev {@code st_rdev} in the user-space encoding
 * @param size {@code st_size}
 */
public record NodeStat(int mode, long rdev, long size) {
    public static final int S_IFMT = 0170000;
    public static final int S_IFCHR = 0020000;
    public static final int S_IFBLK = 0060000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFDIR = 0040000;
    /** @since 1.1 */
    public static final int S_IFIFO = 0010000;

    public boolean isCharDevice() {
        return (mode & S_IFMT) == S_IFCHR;
    }

    /** {@code "char"}, {@code "block"}, {@code "regular"}, {@code "directory"}, {@code "fifo"} or {@code "other"}. */
    public String type() {
        return switch (mode & S_IFMT) {
            case S_IFCHR -> "char";
            case S_IFBLK -> "block";
            case S_IFREG -> "regular";
            case S_IFDIR -> "directory";
            case S_IFIFO -> "fifo";
            default -> "other";
        };
    }

    /** The permission bits ({@code 0777} and the set-id bits). */
    public int permissions() {
        return mode & 07777;
    }

    /** The device number of a char or block node. */
    public DeviceNumber device() {
        return DeviceNumber.fromUserEncoding(rdev);
    }
}
