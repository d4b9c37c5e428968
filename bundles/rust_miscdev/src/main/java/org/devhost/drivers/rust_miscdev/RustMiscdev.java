package org.devhost.drivers.rust_miscdev;

import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantLock;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernelModule;
import org.devhost.kernel.MiscDeviceProperties;
import org.devhost.kernel.WaitQueue;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

/**
 * Rust miscellaneous device sample. Original: {@code samples/rust/rust_miscdev.rs} of
 * Rust-for-Linux (blob at commit 308d6ee43115; the {@code rust} branch's earlier blobs differ only
 * in the kernel crate's API, not in behaviour), compared line by line: one misc device, named
 * after the module, whose files share at most {@value #MAX_TOKENS} tokens. A write adds a token,
 * waiting while all are held, and returns the full length; a read takes one and returns the byte
 * {@code 0x01}, waiting while none is held. A read with an empty buffer or at an offset other than
 * 0 returns 0 (so {@code cat} reads one token per open). Readers and writers wake each other.
 *
 * <p>Waits end as every kernel wait does: EINTR on interrupt (the original's signal), ENODEV when
 * the driver is unloaded, and EAGAIN with O_NONBLOCK. That last one differs on purpose: the
 * original's {@code CondVar::wait} ignores O_NONBLOCK and sleeps; devhost's wait queue honours it
 * for every driver, as a Linux driver should. No poll, as the original has none: {@code poll}
 * reports the kernel's default (readable and writable, no wait queue), so a poller never waits on
 * it although reads and writes may block. The device keeps the default mode
 * ({@link org.devhost.kernel.Device#DEFAULT_MODE}), as the original's {@code miscdevice} sets none.
 *
 * <p>It is a one-class driver, as the original is one {@code module_misc_device!}: the component
 * publishes its file operations with {@link MiscDeviceProperties}, and the kernel registers the
 * misc device while that service exists (the whiteboard) and revokes it when the module unloads.
 * The registry is used only for the wait queue, which the kernel wakes on revocation.
 *
 * <p>Invariants (guarded by {@code lock}): {@code 0 <= tokens <= MAX_TOKENS}; {@code maxSeen} is
 * the highest {@code tokens} ever held (kept for tests and tools; not in the original).
 */
@KernelModule(name = "rust_miscdev", author = "Rust for Linux Contributors",
        description = "Rust miscellaneous device sample", license = "GPL")
@MiscDeviceProperties(name = "rust_miscdev")
@Component(service = FileOperations.class, immediate = true)
public final class RustMiscdev implements FileOperations<Void> {
    static final int MAX_TOKENS = 3;

    private final ReentrantLock lock = new ReentrantLock();
    private final WaitQueue stateChanged;
    private int tokens;
    private int maxSeen;
    private final Logger log;

    @Activate
    public RustMiscdev(@Reference DeviceRegistry registry, @Reference(service = LoggerFactory.class) Logger log) {
        this.log = log;
        log.info("Rust miscellaneous device sample (init)");
        stateChanged = registry.newWaitQueue(lock);
    }

    @Deactivate
    void drop() {
        log.info("Rust miscellaneous device sample (exit)");
    }

    @Override
    public Void open(File file) {
        return null;
    }

    @Override
    public int read(Void data, File file, ByteBuffer dst, long offset) {
        if (!dst.hasRemaining() || offset > 0) {
            return 0;
        }
        lock.lock();
        try {
            stateChanged.waitUntil(file, () -> tokens > 0);
            tokens--;
        } finally {
            lock.unlock();
        }
        stateChanged.wakeAll();
        dst.put((byte) 1);
        return 1;
    }

    @Override
    public int write(Void data, File file, ByteBuffer src, long offset) {
        lock.lock();
        try {
            stateChanged.waitUntil(file, () -> tokens < MAX_TOKENS);
            tokens++;
            maxSeen = Math.max(maxSeen, tokens);
        } finally {
            lock.unlock();
        }
        stateChanged.wakeAll();
        int n = src.remaining();
        src.position(src.limit());
        return n;
    }

    /** The most tokens ever held at once (for tests and tools). */
    int maxSeen() {
        lock.lock();
        try {
            return maxSeen;
        } finally {
            lock.unlock();
        }
    }

    /** Tokens held now (for tests and tools). */
    int tokens() {
        lock.lock();
        try {
            return tokens;
        } finally {
            lock.unlock();
        }
    }
}
