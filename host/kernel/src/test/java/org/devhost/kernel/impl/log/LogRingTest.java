package org.devhost.kernel.impl.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.devhost.kernel.KernLevel;
import org.devhost.kernel.LogLine;
import org.junit.jupiter.api.Test;

/** The kernel log ring keeps the newest lines within a line bound and a byte bound. */
class LogRingTest {
    @Test
    void theOldestLinesGoFirstWhenTheLineCountIsReached() {
        LogRing ring = new LogRing(3, 1 << 20);
        for (int i = 1; i <= 5; i++) {
            ring.add(0, KernLevel.INFO, "m", "line " + i);
        }
        assertEquals(List.of("line 3", "line 4", "line 5"), ring.lines().stream().map(LogLine::message).toList());
    }

    @Test
    void longLinesCannotGrowTheRingPastItsBytes() {
        long bytes = 256 * 1024;
        LogRing ring = new LogRing(100_000, bytes);
        String big = "x".repeat(10_000);
        for (int i = 0; i < 1000; i++) {
            ring.add(0, KernLevel.INFO, "flood", big);
            assertTrue(ring.bytes() <= bytes, "held " + ring.bytes());
        }
        assertEquals((int) (bytes / (LogRing.LINE_OVERHEAD + 2 * (10_000 + 5))), ring.lines().size());
        ring.add(0, KernLevel.ERR, "m", "the newest line is always there");
        assertEquals("the newest line is always there", ring.lines().get(ring.lines().size() - 1).message());
    }

    @Test
    void oneHugeMessageIsCutAndSaysSo() {
        LogRing ring = new LogRing(10, 1 << 20);
        ring.add(0, KernLevel.INFO, "m", "y".repeat(LogRing.MAX_MESSAGE + 500));
        String kept = ring.lines().get(0).message();
        assertTrue(kept.endsWith(" [500 more characters not kept]"), kept.substring(kept.length() - 40));
        assertEquals(LogRing.MAX_MESSAGE + " [500 more characters not kept]".length(), kept.length());
    }

    @Test
    void aPrintkMarkSetsTheLevelAndClearEmptiesIt() {
        LogRing ring = new LogRing(10, 1 << 20);
        ring.add(0, KernLevel.INFO, "m", "<3>broken");
        assertEquals(KernLevel.ERR, ring.lines().get(0).level());
        assertEquals("broken", ring.lines().get(0).message());
        ring.clear();
        assertTrue(ring.lines().isEmpty());
        assertEquals(0, ring.bytes());
    }
}
