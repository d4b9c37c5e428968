package org.devhost.kernel.impl.isolation;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The protocol between the host and an isolated module's process: frames of {@code [int length]
 * [byte kind][long id][payload]}, big-endian, on one Unix domain socket. A request carries a
 * fresh id of its sender; its answer is {@link #OK} or {@link #ERR} with the same id. Messages
 * with id 0 ({@link #REGION_FREE}, {@link #MISC_FREE}, {@link #LOG}, {@link #WAKE}, {@link
 * #CANCEL}) are not answered.
 *
 * <p>Everything read from the other side is bounded here ({@link #MAX_FRAME}, {@link
 * #MAX_STRING}); a frame that breaks a bound is an {@link IOException}, and on the host a
 * malformed message from a child is that child's crash. Immutable constants and static helpers;
 * a {@link Frame} is immutable once built.
 */
final class Wire {
    private Wire() {}

    /** The most data one read, write or ioctl carries; a longer request is answered in part, as a short read is. */
    static final int MAX_IO = 1 << 20;
    /** Bound of one frame: the data and its header with room to spare. */
    static final int MAX_FRAME = MAX_IO + 4096;
    static final int MAX_STRING = 4096;

    // child -> host: registration, log, readiness (answered by OK or ERR unless said)
    static final byte HELLO = 1;        // pid, module
    static final byte REGION = 2;       // name, major, baseMinor, count -> OK(major)
    static final byte REGION_FREE = 3;  // name, major, baseMinor (id 0)
    static final byte CHR = 4;          // name, major, minor, mode -> OK
    static final byte MISC = 5;         // name, minor, mode -> OK(minor)
    static final byte MISC_FREE = 6;    // name, minor (id 0)
    static final byte LOG = 7;          // level, text (id 0)
    static final byte WAKE = 8;         // fileId (id 0): a file's readiness changed
    static final byte READY = 9;        // failure text, empty when the driver started -> OK
    static final byte ADDED = 12;       // name (id 0): a device the host granted is in the child's table now
    static final byte FAULT = 11;       // operation, error (id 0): a driver's operation threw, for the host's supervisor
    static final byte PARAMS = 10;      // -> OK(0, "name=value" lines): the module's parameters on the host
    // host -> child, not answered (id 0)
    static final byte CONFIG = 13;      // pid, properties (see config): the module's parameters or the HAL's configuration changed

    // host -> child: operations on open files (answered by OK or ERR)
    static final byte OPEN = 20;        // fileId, major, minor, flags
    static final byte READ = 21;        // fileId, length, offset -> OK(n, data)
    static final byte WRITE = 22;       // fileId, offset, data -> OK(n)
    static final byte IOCTL = 23;       // fileId, cmd, pointer, value, data -> OK(result, data)
    static final byte SEEK = 24;        // fileId, offset, whence, host's position -> OK(position)
    static final byte POLL = 25;        // fileId -> OK(mask); later WAKE(fileId) once
    static final byte RELEASE = 26;     // fileId -> OK
    static final byte FSYNC = 27;       // fileId -> OK
    static final byte CANCEL = 28;      // the id of a request to interrupt (id 0)
    static final byte BUSY = 30;        // the id of a request -> OK(1 when it runs in the driver's code, not parked in a kernel wait; else 0)
    static final byte STOP = 29;        // (no file) stop the driver: its drop runs -> OK; the host kills the process after

    // answers, both ways
    static final byte OK = 40;          // value, data
    static final byte ERR = 41;         // errno name, message

    /** One message. {@code payload} is owned by the frame. */
    record Frame(byte kind, long id, byte[] payload) {
        DataInputStream in() {
            return new DataInputStream(new java.io.ByteArrayInputStream(payload));
        }
    }

    /** Builds a payload. */
    static final class Out {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        private final DataOutputStream out = new DataOutputStream(bytes);

        Out i(int v) {
            try {
                out.writeInt(v);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            return this;
        }

        Out bool(boolean v) {
            bytes.write(v ? 1 : 0);
            return this;
        }

        Out l(long v) {
            try {
                out.writeLong(v);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            return this;
        }

        Out s(String v) {
            byte[] b = v.getBytes(StandardCharsets.UTF_8);
            if (b.length > MAX_STRING) {
                b = java.util.Arrays.copyOf(b, MAX_STRING); // a log line may be cut; names are checked shorter
            }
            return bytes(b);
        }

        Out bytes(byte[] b) {
            return bytes(b, 0, b.length);
        }

        Out bytes(byte[] b, int off, int len) {
            i(len);
            bytes.write(b, off, len);
            return this;
        }

        byte[] done() {
            return bytes.toByteArray();
        }
    }

    /** An operation table as bits, one per {@link org.devhost.kernel.Operation} by ordinal. */
    static int bits(java.util.Set<org.devhost.kernel.Operation> ops) {
        int b = 0;
        for (org.devhost.kernel.Operation o : ops) {
            b |= 1 << o.ordinal();
        }
        return b;
    }

    static java.util.Set<org.devhost.kernel.Operation> operations(int bits) throws IOException {
        org.devhost.kernel.Operation[] all = org.devhost.kernel.Operation.values();
        if ((bits & ~((1 << all.length) - 1)) != 0) {
            throw new IOException("an operation table with unknown bits 0x" + Integer.toHexString(bits));
        }
        java.util.Set<org.devhost.kernel.Operation> s = java.util.EnumSet.noneOf(org.devhost.kernel.Operation.class);
        for (org.devhost.kernel.Operation o : all) {
            if ((bits & 1 << o.ordinal()) != 0) {
                s.add(o);
            }
        }
        return s;
    }

    /**
     * An ERR answer's payload: the errno's name and what failed, without the errno's words the
     * message ends with (the receiving side's KernelException adds them again).
     */
    static byte[] err(org.devhost.kernel.KernelException e) {
        String m = String.valueOf(e.getMessage());
        String suffix = ": " + e.errno().description() + " (" + e.errno().name() + ")";
        return new Out().s(e.errno().name()).s(m.endsWith(suffix) ? m.substring(0, m.length() - suffix.length()) : m).done();
    }

    /** The most properties one configuration carries, and items one property. */
    static final int MAX_PROPERTIES = 256;

    /**
     * A configuration as a payload: its PID, then each property as its key and either one text or
     * a list of texts (arrays and collections; every value as {@link String#valueOf}). Keys the
     * framework and Configuration Admin own ({@code service.*}, {@code felix.*}, {@code component.*})
     * are left out.
     */
    static byte[] config(String pid, java.util.Map<String, ?> properties) {
        java.util.Map<String, Object> kept = new java.util.TreeMap<>();
        properties.forEach((k, v) -> {
            if (v != null && !k.startsWith("service.") && !k.startsWith("felix.") && !k.startsWith("component.")) {
                kept.put(k, v);
            }
        });
        Out o = new Out().s(pid).i(Math.min(kept.size(), MAX_PROPERTIES));
        kept.entrySet().stream().limit(MAX_PROPERTIES).forEach(e -> {
            Object v = e.getValue();
            java.util.List<String> items = null;
            if (v instanceof java.util.Collection<?> c) {
                items = c.stream().map(String::valueOf).toList();
            } else if (v.getClass().isArray()) {
                items = new java.util.ArrayList<>();
                for (int i = 0; i < java.lang.reflect.Array.getLength(v); i++) {
                    items.add(String.valueOf(java.lang.reflect.Array.get(v, i)));
                }
            }
            o.s(e.getKey()).bool(items != null);
            if (items == null) {
                o.s(String.valueOf(v));
            } else {
                o.i(Math.min(items.size(), MAX_PROPERTIES));
                items.stream().limit(MAX_PROPERTIES).forEach(o::s);
            }
        });
        return o.done();
    }

    /** A {@link #config} payload's properties (after its PID, read with {@link #str}): texts and arrays of texts. */
    static java.util.Hashtable<String, Object> properties(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_PROPERTIES) {
            throw new IOException("a configuration of " + n + " properties (at most " + MAX_PROPERTIES + ")");
        }
        java.util.Hashtable<String, Object> p = new java.util.Hashtable<>();
        for (int i = 0; i < n; i++) {
            String key = str(in);
            if (in.readBoolean()) {
                int m = in.readInt();
                if (m < 0 || m > MAX_PROPERTIES) {
                    throw new IOException("a property of " + m + " items (at most " + MAX_PROPERTIES + ")");
                }
                String[] items = new String[m];
                for (int j = 0; j < m; j++) {
                    items[j] = str(in);
                }
                p.put(key, items);
            } else {
                p.put(key, str(in));
            }
        }
        return p;
    }

    static String str(DataInputStream in) throws IOException {
        return new String(bytes(in, MAX_STRING), StandardCharsets.UTF_8);
    }

    static byte[] bytes(DataInputStream in, int max) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > max) {
            throw new IOException("a field of " + n + " bytes (at most " + max + ")");
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    /** Writes one frame; the caller serializes writers. */
    static void write(OutputStream out, byte kind, long id, byte[] payload) throws IOException {
        DataOutputStream d = new DataOutputStream(out);
        d.writeInt(1 + 8 + payload.length);
        d.writeByte(kind);
        d.writeLong(id);
        d.write(payload);
        d.flush();
    }

    /**
     * Writes one frame whose payload is {@code head} and then {@code data}'s remaining bytes as a
     * field, gathered from the buffer itself (a read's or a write's data is not copied into the
     * frame). {@code buffered}, which writes to {@code ch}, is flushed first; the caller serializes
     * writers. {@code data}'s position is left as it was.
     */
    static void write(java.nio.channels.SocketChannel ch, OutputStream buffered, byte kind, long id, byte[] head,
            java.nio.ByteBuffer data) throws IOException {
        buffered.flush();
        int n = data.remaining();
        java.nio.ByteBuffer header = java.nio.ByteBuffer.allocate(4 + 1 + 8 + head.length + 4);
        header.putInt(1 + 8 + head.length + 4 + n).put(kind).putLong(id).put(head).putInt(n).flip();
        java.nio.ByteBuffer[] both = {header, data.duplicate()};
        while (both[0].hasRemaining() || both[1].hasRemaining()) {
            ch.write(both);
        }
    }

    /**
     * A field of {@code payload} at {@code at} ({@code [int length][bytes]}) as a buffer over the
     * payload's own bytes, without a copy; an {@link IOException} when it breaks {@code max} or
     * the payload's end.
     */
    static java.nio.ByteBuffer field(byte[] payload, int at, int max) throws IOException {
        if (at < 0 || at + 4 > payload.length) {
            throw new IOException("a frame of " + payload.length + " bytes without its field at " + at);
        }
        int n = java.nio.ByteBuffer.wrap(payload, at, 4).getInt();
        if (n < 0 || n > max || n > payload.length - at - 4) {
            throw new IOException("a field of " + n + " bytes (at most " + Math.min(max, payload.length - at - 4) + ")");
        }
        return java.nio.ByteBuffer.wrap(payload, at + 4, n).slice();
    }

    /** Reads one frame; {@link EOFException} at a clean end of the stream between frames. */
    static Frame read(InputStream in) throws IOException {
        DataInputStream d = new DataInputStream(in);
        int length = d.readInt();
        if (length < 9 || length > MAX_FRAME) {
            throw new IOException("a frame of " + length + " bytes (9 to " + MAX_FRAME + ")");
        }
        byte kind = d.readByte();
        long id = d.readLong();
        byte[] payload = new byte[length - 9];
        d.readFully(payload);
        return new Frame(kind, id, payload);
    }

    /**
     * A stream reading the channel itself. Not {@code Channels.newInputStream}: its streams take the
     * channel's blocking lock, so a reader waiting for the next frame would hold up every writer.
     */
    static InputStream input(java.nio.channels.SocketChannel ch) {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return len == 0 ? 0 : ch.read(java.nio.ByteBuffer.wrap(b, off, len));
            }
        };
    }

    /** A stream writing to the channel itself (see {@link #input}). */
    static OutputStream output(java.nio.channels.SocketChannel ch) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(b, off, len);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            }
        };
    }
}
