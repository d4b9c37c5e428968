package org.devhost.drivers.scull;

/**
 * The scull ioctl numbers of LDD3's {@code scull.h} (magic 'k'). S = Set through a pointer, T =
 * Tell by value, G = Get through a pointer, Q = Query by return value, X = eXchange through a
 * pointer (G and S at once), H = sHift (T and Q at once).
 */
final class ScullIoctl {
    static final int MAGIC = 'k';
    static final int RESET = 0x6b00;           // _IO('k', 0)
    static final int SQUANTUM = 0x40046b01;    // _IOW('k', 1, int)
    static final int SQSET = 0x40046b02;       // _IOW('k', 2, int)
    static final int TQUANTUM = 0x6b03;        // _IO('k', 3)
    static final int TQSET = 0x6b04;           // _IO('k', 4)
    static final int GQUANTUM = 0x80046b05;    // _IOR('k', 5, int)
    static final int GQSET = 0x80046b06;       // _IOR('k', 6, int)
    static final int QQUANTUM = 0x6b07;        // _IO('k', 7)
    static final int QQSET = 0x6b08;           // _IO('k', 8)
    static final int XQUANTUM = 0xc0046b09;    // _IOWR('k', 9, int)
    static final int XQSET = 0xc0046b0a;       // _IOWR('k', 10, int)
    static final int HQUANTUM = 0x6b0b;        // _IO('k', 11)
    static final int HQSET = 0x6b0c;           // _IO('k', 12)
    static final int P_TSIZE = 0x6b0d;         // _IO('k', 13): scullpipe buffer size, by value
    static final int P_QSIZE = 0x6b0e;         // _IO('k', 14)
    static final int MAXNR = 14;

    private ScullIoctl() {}
}
