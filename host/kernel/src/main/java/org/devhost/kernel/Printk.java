package org.devhost.kernel;

import org.osgi.service.log.Logger;

/**
 * printk for drivers: logs through an OSGi {@link Logger} at the nearest OSGi level, with the
 * printk level in front ({@link KernLevel#prefix()}) so the kernel log keeps all eight. DEBUG goes
 * out at the Log Service's INFO level (still marked debug): the host logs INFO and up, because
 * DEBUG for a driver bundle would also switch on SCR's tracing of it, which costs more than the
 * driver's own lines.
 * Placeholders are the Log Service's {@code {}}, as in Rust's {@code pr_info!("{}", x)}.
 *
 * <pre>{@code
 * Printk.log(log, KernLevel.NOTICE, "loaded {} devices", 2);
 * }</pre>
 */
public final class Printk {
    private Printk() {}

    public static void log(Logger logger, KernLevel level, String format, Object... args) {
        String f = level.prefix() + format;
        switch (level) {
            case EMERG, ALERT, CRIT, ERR -> logger.error(f, args);
            case WARNING -> logger.warn(f, args);
            default -> logger.info(f, args);
        }
    }
}
