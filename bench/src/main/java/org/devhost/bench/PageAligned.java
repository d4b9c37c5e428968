package org.devhost.bench;

import java.nio.ByteBuffer;

/**
 * Direct buffers that start on a page, as the C baseline's (bench/c/baseline.c): the kernel
 * clears or copies the same kind of memory for every benchmark and fork, instead of wherever
 * malloc happened to put each fork's buffer.
 */
public final class PageAligned {
    private static final int PAGE = 4096;

    private PageAligned() {}

    /** A direct buffer of {@code size} bytes whose first byte starts a page. */
    public static ByteBuffer buffer(int size) {
        // alignedSlice rounds the start up and the capacity down to whole pages
        int pages = (size + PAGE - 1) / PAGE;
        return ByteBuffer.allocateDirect((pages + 1) * PAGE).alignedSlice(PAGE).slice(0, size);
    }
}
