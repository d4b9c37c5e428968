package org.devhost.hal.impl;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Addresses of direct buffers, and a per-thread direct buffer for callers that pass heap buffers.
 * The scratch buffer is reused by one thread only, so it needs no lock.
 */
final class NativeBuffers {
    /** Heap transfers larger than this go through the scratch buffer in pieces. */
    static final int SCRATCH_LIMIT = 1 << 20;

    private static final ThreadLocal<ByteBuffer> SCRATCH =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(4096).order(ByteOrder.nativeOrder()));

    private NativeBuffers() {}

    /** The last buffer whose address this thread asked for, and that address. */
    private record Known(ByteBuffer buffer, long base) {}

    private static final ThreadLocal<Known> LAST = new ThreadLocal<>();

    /**
     * The address of a direct buffer's position. Asking JNA for a buffer's address is a JNI call
     * of its own (about 80 ns here, bench/JnaCallBench); callers mostly pass the same buffer again,
     * so each thread remembers the last one (a direct buffer's address never changes; the cache
     * keeps that one buffer reachable).
     */
    static long address(ByteBuffer direct) {
        Known k = LAST.get();
        if (k == null || k.buffer() != direct) {
            k = new Known(direct, Pointer.nativeValue(Native.getDirectBufferPointer(direct)));
            LAST.set(k);
        }
        return k.base() + direct.position();
    }

    /** A cleared direct buffer of at least {@code size} bytes (at most {@link #SCRATCH_LIMIT}). */
    static ByteBuffer scratch(int size) {
        ByteBuffer b = SCRATCH.get();
        if (b.capacity() < size) {
            b = ByteBuffer.allocateDirect(Math.min(Integer.highestOneBit(size - 1) << 1, SCRATCH_LIMIT))
                    .order(ByteOrder.nativeOrder());
            SCRATCH.set(b);
        }
        b.clear();
        return b;
    }
}
