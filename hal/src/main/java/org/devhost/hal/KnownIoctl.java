package org.devhost.hal;

/**
 * A well-known ioctl: its name, number, and how its argument really works (which the number's
 * encoding does not always say). Immutable value.
 *
 * <p>A caller that describes a command the HAL's table does not know (a driver's own table, a
 * configured allowlist) passes one to {@link DeviceNode#ioctl(KnownIoctl, java.nio.ByteBuffer)}
 * or {@link DeviceNode#ioctl(KnownIoctl, long)}: the description is then what the HAL goes by.
 * Invariant (checked here, {@link IllegalArgumentException} otherwise): {@code size} is 0 for
 * {@link Arg#NONE} and {@link Arg#VALUE}, and 1 to {@value #MAX_SIZE} for memory.
 *
 * @param name the C macro name, e.g. {@code TIOCGWINSZ}
 * @param value the request number (x86-64)
 * @param arg how the argument is passed
 * @param size bytes of user memory the kernel reads or writes (0 for {@link Arg#NONE} and {@link Arg#VALUE})
 * @param description what it does, in a few words
 */
public record KnownIoctl(String name, int value, Arg arg, int size, String description) {
    /** The largest struct an {@code _IOC} number can describe (its 14-bit size field). @since 1.1 */
    public static final int MAX_SIZE = (1 << 14) - 1;

    public KnownIoctl {
        java.util.Objects.requireNonNull(name, "name");
        java.util.Objects.requireNonNull(arg, "arg");
        boolean memory = arg == Arg.IN || arg == Arg.OUT;
        if (memory ? size < 1 || size > MAX_SIZE : size != 0) {
            throw new IllegalArgumentException(name + ": size " + size + " does not fit argument kind " + arg
                    + (memory ? " (1 to " + MAX_SIZE + " bytes)" : " (must be 0)"));
        }
    }

    /** True when the argument is memory ({@link Arg#IN} or {@link Arg#OUT}). @since 1.1 */
    public boolean takesMemory() {
        return arg == Arg.IN || arg == Arg.OUT;
    }
    /** How a command takes its argument. */
    public enum Arg {
        /** No argument; the answer is the return value. */
        NONE,
        /** An integer passed by value. */
        VALUE,
        /** A pointer to memory the kernel fills ({@code size} bytes). */
        OUT,
        /** A pointer to memory the kernel reads ({@code size} bytes). */
        IN
    }

    public IoctlCommand command() {
        return new IoctlCommand(value);
    }
}
