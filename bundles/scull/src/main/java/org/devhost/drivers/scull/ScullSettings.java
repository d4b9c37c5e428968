package org.devhost.drivers.scull;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.devhost.kernel.Errno;
import org.devhost.kernel.IoctlArg;
import org.devhost.kernel.KernelException;

/**
 * The module-wide numbers LDD3 keeps in globals ({@code scull_quantum}, {@code scull_qset},
 * {@code scull_p_buffer}) and {@code scull_ioctl} (main.c), which reads and changes them. A scull
 * device takes the current quantum and qset when it is trimmed; a pipe takes the buffer size at its
 * next open. Thread-safe (synchronized); quantum and qset are from 1 to {@link #MAX_QUANTUM} and
 * {@link #MAX_QSET}, the buffer from 2 to {@link #MAX_P_BUFFER}.
 *
 * <p>Where we differ from {@code scull_ioctl} on purpose: no {@code capable(CAP_SYS_ADMIN)} check
 * (EPERM there): a JVM caller has no capabilities, and devhost's host is trusted code. So anyone
 * who may open a scull node (mode 0664) sets what the next write or pipe open allocates, and the
 * bounds are what keeps that to a few MiB: values outside them are EINVAL here, at set time, where
 * LDD3 stores them and later divides by zero (quantum or qset 0), lets writers sleep forever (a
 * pipe buffer of 1) or fails the allocation with ENOMEM (more than {@code kmalloc} gives). RESET
 * restores the compiled-in defaults, as LDD3's does, not the load-time parameters.
 */
final class ScullSettings {
    static final int DEFAULT_QUANTUM = 4000;
    static final int DEFAULT_QSET = 1000;
    static final int DEFAULT_P_BUFFER = 4000;
    /** A ring of n bytes holds n - 1: the smallest useful one. */
    static final int MIN_P_BUFFER = 2;
    /**
     * The largest {@code kmalloc} on x86-64 ({@code KMALLOC_MAX_SIZE}, 4 MiB): LDD3 never had a
     * bigger quantum, pointer array or pipe buffer, so no exercise of the book needs one.
     */
    static final int MAX_ALLOCATION = 4 << 20;
    static final int MAX_QUANTUM = MAX_ALLOCATION;
    /** 524288: a set's pointer array is {@code qset * sizeof(char *)} bytes in LDD3. */
    static final int MAX_QSET = MAX_ALLOCATION / Long.BYTES;
    static final int MAX_P_BUFFER = MAX_ALLOCATION;

    private final int initialQuantum;
    private final int initialQset;
    private int quantum;
    private int qset;
    private int pBuffer;

    ScullSettings(int quantum, int qset, int pBuffer) {
        this.initialQuantum = quantum("scull_quantum", quantum);
        this.initialQset = qset("scull_qset", qset);
        this.quantum = initialQuantum;
        this.qset = initialQset;
        this.pBuffer = pipeBuffer(pBuffer);
    }

    synchronized int quantum() {
        return quantum;
    }

    synchronized int qset() {
        return qset;
    }

    synchronized int pipeBuffer() {
        return pBuffer;
    }

    /** {@code scull_ioctl}: the SCULL_IOC* family. Unknown commands are ENOTTY, as in LDD3. */
    synchronized long ioctl(int cmd, IoctlArg arg) {
        if ((cmd >>> 8 & 0xff) != ScullIoctl.MAGIC || (cmd & 0xff) > ScullIoctl.MAXNR) {
            throw new KernelException(Errno.ENOTTY, "scull: ioctl 0x" + Integer.toHexString(cmd) + " is not a SCULL_IOC command");
        }
        int old;
        switch (cmd) {
            case ScullIoctl.RESET -> {
                quantum = DEFAULT_QUANTUM;
                qset = DEFAULT_QSET;
                return 0;
            }
            case ScullIoctl.SQUANTUM -> quantum = quantum("quantum", getInt(arg));
            case ScullIoctl.SQSET -> qset = qset("qset", getInt(arg));
            case ScullIoctl.TQUANTUM -> quantum = quantum("quantum", value(arg));
            case ScullIoctl.TQSET -> qset = qset("qset", value(arg));
            case ScullIoctl.GQUANTUM -> putInt(arg, quantum);
            case ScullIoctl.GQSET -> putInt(arg, qset);
            case ScullIoctl.QQUANTUM -> {
                return quantum;
            }
            case ScullIoctl.QQSET -> {
                return qset;
            }
            case ScullIoctl.XQUANTUM -> {
                old = quantum;
                quantum = quantum("quantum", getInt(arg));
                putInt(arg, old);
            }
            case ScullIoctl.XQSET -> {
                old = qset;
                qset = qset("qset", getInt(arg));
                putInt(arg, old);
            }
            case ScullIoctl.HQUANTUM -> {
                old = quantum;
                quantum = quantum("quantum", value(arg));
                return old;
            }
            case ScullIoctl.HQSET -> {
                old = qset;
                qset = qset("qset", value(arg));
                return old;
            }
            case ScullIoctl.P_TSIZE -> pBuffer = pipeBuffer(value(arg)); // used from the next open
            case ScullIoctl.P_QSIZE -> {
                return pBuffer;
            }
            default -> throw new KernelException(Errno.ENOTTY, "scull: ioctl 0x" + Integer.toHexString(cmd) + " is not a SCULL_IOC command");
        }
        return 0;
    }

    private static int value(IoctlArg arg) {
        long v = arg.value();
        if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
            throw new KernelException(Errno.EINVAL, "scull: ioctl value " + v + " does not fit an int");
        }
        return (int) v;
    }

    private static int getInt(IoctlArg arg) {
        ByteBuffer b = arg.buffer();
        if (b.remaining() < Integer.BYTES) {
            throw new KernelException(Errno.EFAULT, "scull: ioctl needs 4 bytes of memory, got " + b.remaining());
        }
        return b.duplicate().order(ByteOrder.nativeOrder()).getInt();
    }

    private static void putInt(IoctlArg arg, int v) {
        ByteBuffer b = arg.buffer();
        if (b.remaining() < Integer.BYTES) {
            throw new KernelException(Errno.EFAULT, "scull: ioctl needs 4 bytes of memory, got " + b.remaining());
        }
        b.duplicate().order(ByteOrder.nativeOrder()).putInt(v);
    }

    private static int quantum(String what, int v) {
        return inRange(what, 1, MAX_QUANTUM, v);
    }

    private static int qset(String what, int v) {
        return inRange(what, 1, MAX_QSET, v);
    }

    private static int pipeBuffer(int v) {
        return inRange("scull_p_buffer", MIN_P_BUFFER, MAX_P_BUFFER, v);
    }

    private static int inRange(String what, int min, int max, int v) {
        if (v < min || v > max) {
            throw new KernelException(Errno.EINVAL, "scull: " + what + " must be from " + min + " to " + max + ", got " + v);
        }
        return v;
    }
}
