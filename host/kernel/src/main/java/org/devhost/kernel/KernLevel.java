package org.devhost.kernel;

/**
 * The eight printk levels ({@code KERN_EMERG} .. {@code KERN_DEBUG}). The OSGi Log Service has
 * fewer levels, so {@link Printk} marks a line with {@link #prefix()} and the kernel log reads the
 * level back from it; lines without a mark get the nearest level of their OSGi level.
 */
public enum KernLevel {
    EMERG, ALERT, CRIT, ERR, WARNING, NOTICE, INFO, DEBUG;

    /** {@code <N>}, as printk's KERN_* strings put the level in front of the text. */
    public String prefix() {
        return "<" + ordinal() + ">";
    }

    /** The short name {@code dmesg -l} takes: emerg, alert, crit, err, warn, notice, info, debug. */
    public String label() {
        return this == WARNING ? "warn" : name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * Parses a level name as {@code dmesg -l} does.
     *
     * @throws KernelException EINVAL naming the accepted names
     */
    public static KernLevel parse(String name) {
        for (KernLevel l : values()) {
            if (l.label().equalsIgnoreCase(name) || l.name().equalsIgnoreCase(name)) {
                return l;
            }
        }
        throw new KernelException(Errno.EINVAL, "log level '" + name
                + "': use emerg, alert, crit, err, warn, notice, info or debug");
    }
}
