package org.devhost.drivers.rust_minimal;

import java.util.ArrayList;
import java.util.List;
import org.devhost.kernel.KernelModule;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

/**
 * Rust minimal sample. Original: {@code samples/rust/rust_minimal.rs} of Rust-for-Linux's {@code
 * rust} branch (blob at commit 0c57fbcacc88), compared line by line, with no difference in
 * behaviour: the smallest module. Init says so, says it is not built in (a bundle is always a
 * loadable module: {@code !cfg!(MODULE)} is false) and keeps the numbers 72, 108, 200; drop prints
 * them and says so. No devices. Stateless after init; not shared between threads.
 */
@KernelModule(name = "rust_minimal", author = "Rust for Linux Contributors",
        description = "Rust minimal sample", license = "GPL")
@Component(immediate = true)
public final class RustMinimal {
    private final Logger log;
    private final List<Integer> numbers = new ArrayList<>();

    @Activate
    public RustMinimal(@Reference(service = LoggerFactory.class) Logger log) {
        this.log = log;
        log.info("Rust minimal sample (init)");
        log.info("Am I built-in? false");
        numbers.add(72);
        numbers.add(108);
        numbers.add(200);
    }

    /** The numbers init pushed. */
    List<Integer> numbers() {
        return List.copyOf(numbers);
    }

    @Deactivate
    void drop() {
        log.info("My numbers are {}", numbers);
        log.info("Rust minimal sample (exit)");
    }
}
