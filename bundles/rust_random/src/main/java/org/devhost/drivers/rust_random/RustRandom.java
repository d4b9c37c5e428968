package org.devhost.drivers.rust_random;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernelModule;
import org.devhost.kernel.MiscDevice;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * Rust random device sample. Original: {@code samples/rust/rust_random.rs} of Rust-for-Linux's
 * {@code rust} branch (blob at commit 7746b52c0aae), compared line by line: a misc device
 * ({@code module_misc_device!}, so no init or exit lines) whose reads fill the whole buffer with
 * random bytes and whose writes are mixed into the generator's seed. Both take the full length.
 *
 * <p>Differs on purpose: {@link SecureRandom} stands in for the kernel's pool. The original calls
 * {@code getrandom_nonblock} under O_NONBLOCK, which is EAGAIN only while the kernel's pool is not
 * yet initialised at early boot; a {@link SecureRandom} is seeded when it is made, so that case
 * cannot arise and O_NONBLOCK changes nothing. The original copies through a 256-byte chunk; we
 * fill the buffer at once (the same bytes reach the caller). Thread-safe ({@link SecureRandom} is).
 */
@KernelModule(name = "rust_random", author = "Rust for Linux Contributors",
        description = "Just use /dev/urandom: Now with early-boot safety", license = "GPL")
@Component(immediate = true)
public final class RustRandom implements FileOperations<Void> {
    private final SecureRandom random = new SecureRandom();
    private final MiscDevice device;

    @Activate
    public RustRandom(@Reference DeviceRegistry registry) {
        device = registry.registerMisc("rust_random", MiscDevice.DYNAMIC_MINOR, this);
    }

    @Deactivate
    void drop() {
        device.close();
    }

    @Override
    public Void open(File file) {
        return null;
    }

    @Override
    public int read(Void data, File file, ByteBuffer dst, long offset) {
        byte[] bytes = new byte[dst.remaining()];
        random.nextBytes(bytes);
        dst.put(bytes);
        return bytes.length;
    }

    @Override
    public int write(Void data, File file, ByteBuffer src, long offset) {
        byte[] bytes = new byte[src.remaining()];
        src.get(bytes);
        random.setSeed(bytes); // adds to the seed, never replaces it
        return bytes.length;
    }
}
