package org.devhost.hal.common;

import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;

/**
 * Addresses of direct buffers, and native memory for callers that pass heap buffers, on one
 * backend's {@link Syscalls}.
 *
 * <p>Invariants: each thread caches one scratch buffer of at most {@link #CACHE_LIMIT} bytes (a
 * thread that once moved a megabyte does not keep a megabyte); a call that needs more gets memory
 * of its own, freed when its {@link Lease} closes. The scratch buffer serves one lease at a time:
 * a caller that needs two at once (a mount's strings and structs) takes {@link #own} memory. The
 * address cache holds its buffer weakly, so it never keeps a caller's buffer alive. Everything
 * here is per thread, so nothing needs a lock.
 */
final class NativeBuffers {
    /** The largest scratch buffer a thread keeps between calls. */
    static final int CACHE_LIMIT = 64 * 1024;
    /** One heap read or write moves at most this many bytes (a short count above it, as read(2) may give). */
    static final int TRANSFER_LIMIT = 1 << 20;
    /** Bytes of the per-thread word buffer: three {@code struct pollfd}, or one eventfd counter. */
    private static final int WORDS = 24;

    /** A direct buffer and the address of its first byte. */
    private record Known(WeakReference<ByteBuffer> buffer, long base) {}

    private record Cached(ByteBuffer buffer, long base) {}

    private final Syscalls sys;
    private final ThreadLocal<Known> last = new ThreadLocal<>();
    private final ThreadLocal<Cached> scratch;
    private final ThreadLocal<Cached> word;
    /**
     * An eventfd counter of 1, written once here and only ever read by the kernel: what any thread
     * writes to an eventfd to wake its waiters, including a thread that is not in the HAL at all (the
     * one that calls {@link Thread#interrupt()}, see {@link NodeWait}), whose own buffers this must
     * not touch.
     */
    private final Cached one;

    NativeBuffers(Syscalls sys) {
        this.sys = sys;
        this.scratch = ThreadLocal.withInitial(() -> cached(4096));
        this.word = ThreadLocal.withInitial(() -> cached(WORDS));
        this.one = cached(8);
        one.buffer().putLong(0, 1);
    }

    private Cached cached(int size) {
        ByteBuffer b = ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
        return new Cached(b, sys.address(b));
    }

    /**
     * The address of a direct buffer's position. Finding a buffer's address may cost a native call
     * (JNA: a JNI call of about 80 ns here, bench/JnaCallBench); callers mostly pass the same
     * buffer again, so each thread remembers the last one (a direct buffer's address never changes).
     */
    long address(ByteBuffer direct) {
        Known k = last.get();
        if (k == null || k.buffer().get() != direct) {
            k = new Known(new WeakReference<>(direct), sys.address(direct));
            last.set(k);
        }
        return k.base() + direct.position();
    }

    /**
     * Native memory of {@code size} bytes for one call: the thread's scratch buffer when it fits
     * {@link #CACHE_LIMIT}, else memory that {@link Lease#close()} frees. The buffer is cleared and
     * its limit is {@code size}.
     */
    Lease lease(int size) {
        if (size <= CACHE_LIMIT) {
            Cached c = scratch.get();
            if (c.buffer().capacity() < size) {
                c = cached(Math.min(Integer.highestOneBit(size - 1) << 1, CACHE_LIMIT));
                scratch.set(c);
            }
            c.buffer().clear().limit(size);
            return new Lease(c.buffer(), c.base(), 0);
        }
        return own(size, false);
    }

    /** Native memory of {@code size} bytes for this lease alone (never the scratch buffer), zeroed if asked. */
    Lease own(int size, boolean zeroed) {
        long memory = sys.malloc(size);
        if (memory == 0) {
            // native memory, not the Java heap: an errno for the caller, not a JVM error that would
            // end the host (-XX:+ExitOnOutOfMemoryError only acts on the JVM's own)
            throw new KernelException(Errno.ENOMEM, "malloc(" + size + ") for a HAL transfer failed; use a smaller"
                    + " buffer, or a direct ByteBuffer the HAL can pass as it is");
        }
        ByteBuffer view = sys.view(memory, size).order(ByteOrder.nativeOrder());
        if (zeroed) {
            int i = 0;
            for (; i + 8 <= size; i += 8) {
                view.putLong(i, 0);
            }
            for (; i < size; i++) {
                view.put(i, (byte) 0);
            }
        }
        return new Lease(view, memory, memory);
    }

    /**
     * NUL-terminated UTF-8 copies of {@code texts} in memory of their own, one after the other
     * ({@link Lease#at}: the address of the i-th; a null text has address 0).
     */
    Lease cStrings(String... texts) {
        byte[][] bytes = new byte[texts.length][];
        int total = 1;
        for (int i = 0; i < texts.length; i++) {
            bytes[i] = texts[i] == null ? null : texts[i].getBytes(StandardCharsets.UTF_8);
            total += bytes[i] == null ? 0 : bytes[i].length + 1;
        }
        Lease l = own(total, true);
        long[] at = new long[texts.length];
        int pos = 0;
        for (int i = 0; i < texts.length; i++) {
            if (bytes[i] != null) {
                at[i] = l.address() + pos;
                l.buffer().put(pos, bytes[i]);
                pos += bytes[i].length + 1; // own() zeroed the terminator
            }
        }
        l.at = at;
        return l;
    }

    /** The thread's 24-byte word buffer (pollfds, eventfd counter), cleared; never the scratch buffer. */
    ByteBuffer words() {
        ByteBuffer b = word.get().buffer();
        b.clear();
        return b;
    }

    /** The address of {@link #words()}. */
    long wordsAddress() {
        return word.get().base();
    }

    /** The address of 8 bytes holding the eventfd counter 1 (read-only; shared by every thread). */
    long oneAddress() {
        return one.base();
    }

    /** The capacity of this thread's cached scratch buffer (for tests: it never exceeds {@link #CACHE_LIMIT}). */
    int cachedCapacity() {
        return scratch.get().buffer().capacity();
    }

    /**
     * Native memory for one call. Used by one thread, within one call; close it in a finally block.
     * Not thread-safe.
     */
    final class Lease implements AutoCloseable {
        private final ByteBuffer buffer;
        private final long address;
        private final long malloced;
        private long[] at;

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

        /** The address of the i-th string of {@link #cStrings}. */
        long at(int i) {
            return at[i];
        }

        @Override
        public void close() {
            if (malloced != 0) {
                sys.free(malloced);
            }
        }
    }
}
