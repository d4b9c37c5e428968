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
 * next open. Thread-safe (synchronized); quantum and qset are at least 1, the buffer at least 2.
 *
 * <p>Where we differ from {@code scull_ioctl} on purpose: no {@code capable(CAP_SYS_ADMIN)} check
 * (EPERM there): a JVM caller has no capabilities, and devhost's host is trusted code. Values
 * below those minimums are EINVAL, where LDD3 stores them and divides by zero later (quantum or
 * qset 0) or lets writers sleep forever (a pipe buffer of 1). RESET restores the compiled-in
 * defaults, as LDD3's does, not the load-time parameters.
 */
final class ScullSettings {
    static final int DEFAULT_QUANTUM = 4000;
    static final int DEFAULT_QSET = 1000;
    static final int DEFAULT_P_BUFFER = 4000;
    /** A ring of n bytes holds n - 1: the smallest useful one. */
    static final int MIN_P_BUFFER = 2;

    private final int initialQuantum;
    private final int initialQset;
    private int quantum;
    private int qset;
    private int pBuffer;

    ScullSettings(int quantum, int qset, int pBuffer) {
        this.initialQuantum = positive("scull_quantum", quantum);
        this.initialQset = positive("scull_qset", qset);
        this.quantum = initialQuantum;
        this.qset = initialQset;
        this.pBuffer = atLeast("scull_p_buffer", MIN_P_BUFFER, pBuffer);
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
            case ScullIoctl.SQUANTUM -> quantum = positive("quantum", getInt(arg));
            case ScullIoctl.SQSET -> qset = positive("qset", getInt(arg));
            case ScullIoctl.TQUANTUM -> quantum = positive("quantum", value(arg));
            case ScullIoctl.TQSET -> qset = positive("qset", value(arg));
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
                quantum = positive("quantum", getInt(arg));
                putInt(arg, old);
            }
            case ScullIoctl.XQSET -> {
                old = qset;
                qset = positive("qset", getInt(arg));
                putInt(arg, old);
            }
            case ScullIoctl.HQUANTUM -> {
                old = quantum;
                quantum = positive("quantum", value(arg));
                return old;
            }
            case ScullIoctl.HQSET -> {
                old = qset;
                qset = positive("qset", value(arg));
                return old;
            }
            case ScullIoctl.P_TSIZE -> pBuffer = atLeast("scull_p_buffer", MIN_P_BUFFER, value(arg)); // used from the next open
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

    private static int positive(String what, int v) {
        return atLeast(what, 1, v);
    }

    private static int atLeast(String what, int min, int v) {
        if (v < min) {
            throw new KernelException(Errno.EINVAL, "scull: " + what + " must be at least " + min + ", got " + v);
        }
        return v;
    }
}
