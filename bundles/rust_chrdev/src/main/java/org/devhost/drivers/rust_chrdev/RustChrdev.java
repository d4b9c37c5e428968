package org.devhost.drivers.rust_chrdev;

import org.devhost.kernel.ChrdevRegion;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernelModule;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

/**
 * Rust character device sample. Original: {@code samples/rust/rust_chrdev.rs} of Rust-for-Linux's
 * {@code rust} branch (blob at commit 7746b52c0aae), compared line by line, with no difference in
 * behaviour: init reserves two minors ({@code chrdev::Registration<2>}) under a dynamic major,
 * named after the module, and registers the same do-nothing file operations on both; drop frees
 * them. Its files open and release, and every other operation has the kernel's default (read and
 * write EINVAL). Drop prints "(exit)" before the minors are freed, as the original's {@code
 * Drop::drop} runs before its registration field is dropped. Thread-safe (no state).
 */
@KernelModule(name = "rust_chrdev", author = "Rust for Linux Contributors",
        description = "Rust character device sample", license = "GPL")
@Component(immediate = true)
public final class RustChrdev {
    /** The sample's file operations: only open, which keeps no per-file state. */
    static final class RustFile implements FileOperations<Void> {
        @Override
        public Void open(File file) {
            return null;
        }
    }

    private final Logger log;
    private final ChrdevRegion region;

    @Activate
    public RustChrdev(@Reference DeviceRegistry registry, @Reference(service = LoggerFactory.class) Logger log) {
        this.log = log;
        log.info("Rust character device sample (init)");
        region = registry.chrdevRegion("rust_chrdev", DeviceRegistry.DYNAMIC_MAJOR, 0, 2);
        region.register(new RustFile());
        region.register(new RustFile());
    }

    @Deactivate
    void drop() {
        log.info("Rust character device sample (exit)");
        region.close();
    }
}
