package org.devhost.hal.impl;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;

/**
 * Addresses of direct buffers, and native memory for callers that pass heap buffers.
 *
 * <p>Invariants: each thread caches one scratch buffer of at most {@link #CACHE_LIMIT} bytes (a
 * thread that once moved a megabyte does not keep a megabyte); a call that needs more gets memory
 * of its own, freed when its {@link Lease} closes. The address cache holds its buffer weakly, so it
 * never keeps a caller's buffer alive. Everything here is per thread, so nothing needs a lock.
 */
final class NativeBuffers {
    /** The largest scratch buffer a thread keeps between calls. */
    static final int CACHE_LIMIT = 64 * 1024;
    /** One heap read or write moves at most this many bytes (a short count above it, as read(2) may give). */
    static final int TRANSFER_LIMIT = 1 << 20;
    /** Bytes of the per-thread word buffer: two {@code struct pollfd}, or one eventfd counter. */
    private static final int WORDS = 16;

    private NativeBuffers() {}

    /** A direct buffer and the address of its first byte. */
    private record Known(WeakReference<ByteBuffer> buffer, long base) {}

    private record Cached(ByteBuffer buffer, long base) {
        static Cached of(int size) {
            ByteBuffer b = ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
            return new Cached(b, addressOf(b));
        }
    }

    private static final ThreadLocal<Known> LAST = new ThreadLocal<>();
    private static final ThreadLocal<Cached> SCRATCH = ThreadLocal.withInitial(() -> Cached.of(4096));
    private static final ThreadLocal<Cached> WORD = ThreadLocal.withInitial(() -> Cached.of(WORDS));

    private static long addressOf(ByteBuffer direct) {
        return Pointer.nativeValue(Native.getDirectBufferPointer(direct));
    }

    /**
     * The address of a direct buffer's position. Asking JNA for a buffer's address is a JNI call
     * of its own (about 80 ns here, bench/JnaCallBench); callers mostly pass the same buffer again,
     * so each thread remembers the last one (a direct buffer's address never changes).
     */
    static long address(ByteBuffer direct) {
        Known k = LAST.get();
        if (k == null || k.buffer().get() != direct) {
            k = new Known(new WeakReference<>(direct), addressOf(direct));
            LAST.set(k);
        }
        return k.base() + direct.position();
    }

    /**
     * Native memory of {@code size} bytes for one call: the thread's scratch buffer when it fits
     * {@link #CACHE_LIMIT}, else memory that {@link Lease#close()} frees. The buffer is cleared and
     * its limit is {@code size}.
     */
    static Lease lease(int size) {
        if (size <= CACHE_LIMIT) {
            Cached c = SCRATCH.get();
            if (c.buffer().capacity() < size) {
                c = Cached.of(Math.min(Integer.highestOneBit(size - 1) << 1, CACHE_LIMIT));
                SCRATCH.set(c);
            }
            c.buffer().clear().limit(size);
            return new Lease(c.buffer(), c.base(), 0);
        }
        long memory = Native.malloc(size);
        if (memory == 0) {
            // native memory, not the Java heap: an errno for the caller, not a JVM error that would
            // end the host (-XX:+ExitOnOutOfMemoryError only acts on the JVM's own)
            throw new KernelException(Errno.ENOMEM, "malloc(" + size + ") for a HAL transfer failed; use a smaller"
                    + " buffer, or a direct ByteBuffer the HAL can pass as it is");
        }
        ByteBuffer view = new Pointer(memory).getByteBuffer(0, size).order(ByteOrder.nativeOrder());
        return new Lease(view, memory, memory);
    }

    /** The thread's 16-byte word buffer (pollfds, eventfd counter), cleared; never the scratch buffer. */
    static ByteBuffer words() {
        ByteBuffer b = WORD.get().buffer();
        b.clear();
        return b;
    }

    /** The address of {@link #words()}. */
    static long wordsAddress() {
        return WORD.get().base();
    }

    /** The capacity of this thread's cached scratch buffer (for tests: it never exceeds {@link #CACHE_LIMIT}). */
    static int cachedCapacity() {
        return SCRATCH.get().buffer().capacity();
    }

    /**
     * Native memory for one call. Used by one thread, within one call; close it in a finally block.
     * Not thread-safe.
     */
    static final class Lease implements AutoCloseable {
        private final ByteBuffer buffer;
        private final long address;
        private final long malloced;

        private Lease(ByteBuffer buffer, long address, long malloced) {
            this.buffer = buffer;
            this.address = address;
            this.malloced = malloced;
        }

        /** A direct view of the memory, position 0, limit the size asked for. */
        ByteBuffer buffer() {
            return buffer;
        }

        /** The address of the memory's first byte. */
        long address() {
            return address;
        }

        @Override
        public void close() {
            if (malloced != 0) {
                Native.free(malloced);
            }
        }
    }
}
