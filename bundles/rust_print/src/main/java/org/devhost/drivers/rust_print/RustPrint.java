package org.devhost.drivers.rust_print;

import org.devhost.kernel.KernLevel;
import org.devhost.kernel.KernelModule;
import org.devhost.kernel.Printk;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

/**
 * Rust printing macros sample ({@code samples/rust/rust_print.rs}): a line at each printk level,
 * emergency through debug, first plain, then with arguments. {@code dev:dmesg} shows them all.
 */
@KernelModule(name = "rust_print", author = "Rust for Linux Contributors",
        description = "Rust printing macros sample", license = "GPL")
@Component(immediate = true)
public final class RustPrint {
    private final Logger log;

    @Activate
    public RustPrint(@Reference(service = LoggerFactory.class) Logger log) {
        this.log = log;
        log.info("Rust printing macros sample (init)");

        Printk.log(log, KernLevel.EMERG, "Emergency message (level 0) without args");
        Printk.log(log, KernLevel.ALERT, "Alert message (level 1) without args");
        Printk.log(log, KernLevel.CRIT, "Critical message (level 2) without args");
        Printk.log(log, KernLevel.ERR, "Error message (level 3) without args");
        Printk.log(log, KernLevel.WARNING, "Warning message (level 4) without args");
        Printk.log(log, KernLevel.NOTICE, "Notice message (level 5) without args");
        Printk.log(log, KernLevel.INFO, "Info message (level 6) without args");
        Printk.log(log, KernLevel.DEBUG, "Debug message (level 7) without args");

        Printk.log(log, KernLevel.EMERG, "{} message (level {}) with args", "Emergency", 0);
        Printk.log(log, KernLevel.ALERT, "{} message (level {}) with args", "Alert", 1);
        Printk.log(log, KernLevel.CRIT, "{} message (level {}) with args", "Critical", 2);
        Printk.log(log, KernLevel.ERR, "{} message (level {}) with args", "Error", 3);
        Printk.log(log, KernLevel.WARNING, "{} message (level {}) with args", "Warning", 4);
        Printk.log(log, KernLevel.NOTICE, "{} message (level {}) with args", "Notice", 5);
        Printk.log(log, KernLevel.INFO, "{} message (level {}) with args", "Info", 6);
        Printk.log(log, KernLevel.DEBUG, "{} message (level {}) with args", "Debug", 7);
    }

    @Deactivate
    void drop() {
        log.info("Rust printing macros sample (exit)");
    }
}
