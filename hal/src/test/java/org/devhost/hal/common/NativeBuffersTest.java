package org.devhost.hal.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.devhost.hal.DeviceNode;
import org.devhost.kernel.OpenFlags;
import org.junit.jupiter.api.Test;

/** The per-thread scratch memory stays small whatever the transfers were. */
class NativeBuffersTest {
    private static final HostHal HAL = new HostHal(HostHal.DEFAULT_ALLOWED);

    @Test
    void aMegabyteHeapReadIsWholeButTheThreadKeepsAtMost64KiB() throws Exception {
        int[] kept = new int[1];
        int[] got = new int[1];
        boolean[] zeros = {true};
        // a thread of its own, so that the check sees only this test's transfers
        Thread t = new Thread(() -> {
            try (DeviceNode zero = HAL.open("/dev/zero", OpenFlags.O_RDONLY)) {
                ByteBuffer heap = ByteBuffer.allocate(1 << 20);
                for (int i = 0; i < heap.capacity(); i += 4096) {
                    heap.put(i, (byte) 7);
                }
                got[0] = zero.read(heap);
                for (int i = 0; i < heap.capacity(); i += 4096) {
                    zeros[0] &= heap.get(i) == 0;
                }
                zero.read(ByteBuffer.allocate(100_000));
                kept[0] = HAL.buffers().cachedCapacity();
            }
        });
        t.start();
        t.join();
        assertEquals(1 << 20, got[0], "one call moves up to TRANSFER_LIMIT");
        assertTrue(zeros[0], "the bytes arrived");
        assertTrue(kept[0] <= NativeBuffers.CACHE_LIMIT, "the thread keeps " + kept[0] + " bytes");
    }

    @Test
    void aLeaseFitsItsSize() {
        try (NativeBuffers.Lease small = HAL.buffers().lease(60)) {
            assertEquals(60, small.buffer().limit());
            assertTrue(small.buffer().isDirect());
        }
        try (NativeBuffers.Lease big = HAL.buffers().lease(NativeBuffers.CACHE_LIMIT + 1)) {
            assertEquals(NativeBuffers.CACHE_LIMIT + 1, big.buffer().limit());
            big.buffer().put(NativeBuffers.CACHE_LIMIT, (byte) 1); // the last byte is there
        }
        assertTrue(HAL.buffers().cachedCapacity() <= NativeBuffers.CACHE_LIMIT);
    }
}
