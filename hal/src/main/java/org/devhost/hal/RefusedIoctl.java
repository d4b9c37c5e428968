package org.devhost.hal;

/**
 * A command the HAL never sends, and why. It matches a request number when {@code (cmd & mask) ==
 * value}: the full number, or with {@link #ANY_SIZE} the direction, type and number without the
 * size bits (for families such as {@code SPI_IOC_MESSAGE(n)}, and so that a struct that grew
 * between kernel versions is still recognised). Immutable value.
 *
 * @param name the C macro name
 * @param value the request number, or its bits under {@code mask}
 * @param mask which bits of a request number must equal {@code value}
 * @param reason why it is refused, as a sentence fragment ("returns a new file descriptor ...")
 * @since 1.1
 */
public record RefusedIoctl(String name, int value, int mask, String reason) {
    /** Every bit of the number. */
    public static final int EXACT = 0xffffffff;
    /** Direction, type and number; not the size. */
    public static final int ANY_SIZE = 0xc000ffff;

    public boolean matches(int cmd) {
        return (cmd & mask) == (value & mask);
    }
}
