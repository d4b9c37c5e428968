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
 * Rust printing macros sample. Original: {@code samples/rust/rust_print.rs} of Rust-for-Linux's
 * {@code rust} branch (blob at commit 0c57fbcacc88; mainline's is the same), compared line by line:
 * a line at each printk level from emergency to info, first plain, then with arguments, each group
 * followed by a line built from three pieces ({@code pr_info!} then two {@code pr_cont!}). {@code
 * dev:dmesg} shows them. Like the original, nothing at the debug level.
 *
 * <p>Differs on purpose: devhost's kernel log stores whole lines and has no {@code KERN_CONT}, so
 * the continued pieces are joined before the line is printed; {@code dmesg} shows the same line
 * ("A line that is continued without args") at the same level (info).
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

        prCont(KernLevel.INFO, "A line that", " is continued", " without args");

        Printk.log(log, KernLevel.EMERG, "{} message (level {}) with args", "Emergency", 0);
        Printk.log(log, KernLevel.ALERT, "{} message (level {}) with args", "Alert", 1);
        Printk.log(log, KernLevel.CRIT, "{} message (level {}) with args", "Critical", 2);
        Printk.log(log, KernLevel.ERR, "{} message (level {}) with args", "Error", 3);
        Printk.log(log, KernLevel.WARNING, "{} message (level {}) with args", "Warning", 4);
        Printk.log(log, KernLevel.NOTICE, "{} message (level {}) with args", "Notice", 5);
        Printk.log(log, KernLevel.INFO, "{} message (level {}) with args", "Info", 6);

        prCont(KernLevel.INFO, String.format("A %s that", "line"), String.format(" is %s", "continued"),
                String.format(" with %s", "args"));
    }

    /** {@code pr_<level>!(first)} followed by {@code pr_cont!(rest)...}: one line. */
    private void prCont(KernLevel level, String first, String... rest) {
        Printk.log(log, level, first + String.join("", rest));
    }

    @Deactivate
    void drop() {
        log.info("Rust printing macros sample (exit)");
    }
}
