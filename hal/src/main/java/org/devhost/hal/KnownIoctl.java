package org.devhost.hal;

/**
 * A well-known ioctl: its name, number, and how its argument really works (which the number's
 * encoding does not always say). Immutable value.
 *
 * @param name the C macro name, e.g. {@code TIOCGWINSZ}
 * @param value the request number (x86-64)
 * @param arg how the argument is passed
 * @param size bytes of user memory the kernel reads or writes (0 for {@link Arg#NONE} and {@link Arg#VALUE})
 * @param description what it does, in a few words
 */
public record KnownIoctl(String name, int value, Arg arg, int size, String description) {
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
