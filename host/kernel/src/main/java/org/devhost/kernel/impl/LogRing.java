package org.devhost.kernel.impl;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import org.devhost.kernel.KernLevel;
import org.devhost.kernel.KernelLog;
import org.devhost.kernel.LogLine;

/**
 * The bounded ring of recent kernel log lines: the newest {@code capacity} are kept, the oldest
 * dropped first. A line's printk level comes from its {@code <N>} mark, else from the OSGi level.
 * Guarded by {@code this}.
 */
public final class LogRing implements KernelLog {
    private final ArrayDeque<LogLine> ring;
    private final int capacity;
    private final long startMillis = System.currentTimeMillis();
    private long sequence;

    public LogRing(int capacity) {
        this.capacity = capacity;
        this.ring = new ArrayDeque<>(capacity);
    }

    /**
     * Adds a line.
     *
     * @param fallback the level when the message carries no {@code <N>} mark
     */
    public synchronized void add(long timeMillis, KernLevel fallback, String source, String message) {
        KernLevel level = fallback;
        if (message.length() >= 3 && message.charAt(0) == '<' && message.charAt(2) == '>'
                && message.charAt(1) >= '0' && message.charAt(1) <= '7') {
            level = KernLevel.values()[message.charAt(1) - '0'];
            message = message.substring(3);
        }
        if (ring.size() == capacity) {
            ring.removeFirst();
        }
        long up = Math.max(0, timeMillis - startMillis) * 1_000_000L;
        ring.addLast(new LogLine(++sequence, Instant.ofEpochMilli(timeMillis), up, level, source, message));
    }

    @Override
    public synchronized List<LogLine> lines() {
        return List.copyOf(ring);
    }

    @Override
    public synchronized void clear() {
        ring.clear();
    }
}
