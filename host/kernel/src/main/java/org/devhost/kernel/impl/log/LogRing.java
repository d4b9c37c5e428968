package org.devhost.kernel.impl.log;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import org.devhost.kernel.KernLevel;
import org.devhost.kernel.KernelLog;
import org.devhost.kernel.LogLine;

/**
 * The bounded ring of recent kernel log lines. Two bounds hold at every moment: at most {@code
 * capacity} lines, and at most {@code capacityBytes} bytes of line text (Java's two bytes a
 * character, plus {@link #LINE_OVERHEAD} a line); the oldest lines are dropped first. One message
 * longer than {@link #MAX_MESSAGE} characters (a driver logging a huge string or stack trace) is
 * cut there, with a note saying how much was cut, so that no single line can empty the ring.
 *
 * <p>A line's printk level comes from its {@code <N>} mark, else from the OSGi level. Guarded by
 * {@code this}.
 */
public final class LogRing implements KernelLog {
    /** What a line costs beyond its text: the object, its time stamps and references. */
    static final int LINE_OVERHEAD = 64;
    static final int MAX_MESSAGE = 16 * 1024;

    private final ArrayDeque<LogLine> ring;
    private final int capacity;
    private final long capacityBytes;
    private final long startMillis = System.currentTimeMillis();
    private long sequence;
    private long bytes;

    public LogRing(int capacity, long capacityBytes) {
        if (capacity < 1 || capacityBytes < LINE_OVERHEAD + 2L * MAX_MESSAGE) {
            throw new IllegalArgumentException("log ring of " + capacity + " lines, " + capacityBytes + " bytes: too small");
        }
        this.capacity = capacity;
        this.capacityBytes = capacityBytes;
        this.ring = new ArrayDeque<>(Math.min(capacity, 4096));
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
        if (message.length() > MAX_MESSAGE) {
            message = message.substring(0, MAX_MESSAGE) + " [" + (message.length() - MAX_MESSAGE)
                    + " more characters not kept]";
        }
        long up = Math.max(0, timeMillis - startMillis) * 1_000_000L;
        LogLine line = new LogLine(++sequence, Instant.ofEpochMilli(timeMillis), up, level, source, message);
        long cost = cost(line);
        while (!ring.isEmpty() && (ring.size() == capacity || bytes + cost > capacityBytes)) {
            bytes -= cost(ring.removeFirst());
        }
        ring.addLast(line);
        bytes += cost;
    }

    private static long cost(LogLine l) {
        return LINE_OVERHEAD + 2L * (l.message().length() + l.source().length());
    }

    /** Bytes of line text held now (see the class comment for how they are counted). */
    public synchronized long bytes() {
        return bytes;
    }

    @Override
    public synchronized List<LogLine> lines() {
        return List.copyOf(ring);
    }

    @Override
    public synchronized List<LogLine> readClear() {
        List<LogLine> held = List.copyOf(ring);
        clear();
        return held;
    }

    @Override
    public synchronized void clear() {
        ring.clear();
        bytes = 0;
    }
}
