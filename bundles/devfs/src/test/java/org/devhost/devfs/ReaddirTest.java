package org.devhost.devfs;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.LongStream;
import org.devhost.hal.FuseChannel;
import org.devhost.kernel.Device;
import org.devhost.kernel.DeviceNumber;
import org.devhost.kernel.DeviceType;
import org.devhost.kernel.Operation;
import org.junit.jupiter.api.Test;
import org.osgi.service.log.Logger;

/**
 * READDIR offsets come from the client ({@code lseek} on the folder, then {@code getdents64}), any
 * 64 bits: one this listing handed out continues it, anything past its end is an empty listing,
 * never an error logged with a stack trace on every call, never the listing again from the start.
 */
class ReaddirTest {
    private final List<ByteBuffer> replies = new ArrayList<>();
    private final List<String> logged = new ArrayList<>();
    private final Nodes nodes = new Nodes(1000, 1000);
    private final FuseServer server = new FuseServer(new Channel(), nodes, null, logger(), 2, 2, FuseServer.DEFAULT_GRACE_MS,
            FuseServer.MAX_ABANDONED);
    private final ByteBuffer buf = FuseServer.threadBuffer();
    private final Requests.Worker worker = new Requests.Worker();
    private long unique;

    /** A channel that keeps the replies it is given. */
    private final class Channel implements FuseChannel {
        public String mountPoint() { return "/test/devfs"; }
        public String options() { return ""; }
        public boolean viaHelper() { return false; }
        public int receive(ByteBuffer dst) { throw new UnsupportedOperationException("requests are dispatched by the test"); }
        public boolean send(ByteBuffer src) {
            ByteBuffer copy = ByteBuffer.allocate(src.remaining()).order(ByteOrder.nativeOrder());
            copy.put(src.duplicate()).flip();
            replies.add(copy);
            return true;
        }
        public void close() {}
    }

    /** A logger that keeps what devfs reports as warnings and errors. */
    private Logger logger() {
        return (Logger) Proxy.newProxyInstance(Logger.class.getClassLoader(), new Class<?>[] {Logger.class}, (p, m, args) -> {
            if (m.getName().equals("error") || m.getName().equals("warn")) {
                logged.add(m.getName() + " " + args[0]);
            }
            return m.getReturnType() == boolean.class ? false : null;
        });
    }

    private static Device device(String name, int minor) {
        return new Device() {
            public String name() { return name; }
            public DeviceNumber number() { return DeviceNumber.of(253, minor); }
            public DeviceType type() { return DeviceType.values()[0]; }
            public String module() { return "test"; }
            public Set<Operation> operations() { return Set.of(Operation.OPEN); }
            public int openCount() { return 0; }
            public int mode() { return 0666; }
        };
    }

    /** Runs one request as a server thread does; returns its reply. */
    private ByteBuffer request(int opcode, long nodeid, long fh, long offset, int size) {
        buf.clear();
        buf.putInt(Fuse.IN_OPCODE, opcode).putLong(Fuse.IN_UNIQUE, ++unique).putLong(Fuse.IN_NODEID, nodeid);
        int body = Fuse.IN_HEADER;
        buf.putLong(body + Fuse.RW_FH, fh).putLong(body + Fuse.RW_OFFSET, offset).putInt(body + Fuse.RW_SIZE, size);
        int length = body + 40;
        buf.putInt(Fuse.IN_LEN, length);
        server.dispatch(buf, length, worker);
        assertEquals(1, replies.size(), "one reply per request");
        ByteBuffer r = replies.remove(0);
        assertEquals(r.remaining(), r.getInt(0), "reply length");
        assertEquals(unique, r.getLong(8));
        return r;
    }

    private long opendir() {
        ByteBuffer r = request(Fuse.OPENDIR, Nodes.ROOT, 0, 0, 0);
        assertEquals(0, r.getInt(4), "opendir error");
        return r.getLong(Fuse.OUT_HEADER);
    }

    /** The names in a READDIR reply, after checking it is not an error. */
    private List<String> readdir(long fh, long offset) {
        ByteBuffer r = request(Fuse.READDIR, Nodes.ROOT, fh, offset, 4096);
        assertEquals(0, r.getInt(4), "readdir at " + Long.toUnsignedString(offset) + ": error " + -r.getInt(4));
        List<String> names = new ArrayList<>();
        for (int p = Fuse.OUT_HEADER; p < r.limit();) {
            int length = r.getInt(p + 16);
            byte[] name = new byte[length];
            r.get(p + Fuse.DIRENT_HEADER, name);
            names.add(new String(name, StandardCharsets.UTF_8));
            p += (Fuse.DIRENT_HEADER + length + 7) & ~7;
        }
        return names;
    }

    @Test
    void anOffsetThisListingGaveContinuesIt() {
        nodes.add(device("scull0", 0));
        nodes.add(device("scull1", 1));
        long fh = opendir();
        assertEquals(List.of(".", "..", "char", "scull0", "scull1"), readdir(fh, 0));
        assertEquals(List.of("scull0", "scull1"), readdir(fh, 3));
        assertEquals(List.of(), readdir(fh, 5), "at the end");
        assertTrue(logged.isEmpty(), logged.toString());
    }

    @Test
    void anyOffsetPastTheEndIsAnEmptyListingAndLogsNothing() {
        nodes.add(device("scull0", 0));
        long fh = opendir();
        long[] past = {6, 1L << 31, (1L << 31) + 1, 0xFFFF_FFFFL, 1L << 32, (1L << 32) + 1, Long.MAX_VALUE,
                -1, Long.MIN_VALUE, 0x8000_0000_0000_0003L};
        assertAll(LongStream.of(past).mapToObj(offset -> () -> assertEquals(List.of(), readdir(fh, offset),
                "offset " + Long.toUnsignedString(offset))));
        assertTrue(logged.isEmpty(), logged.toString());
        assertEquals(List.of(".", "..", "char", "scull0"), readdir(fh, 0), "the folder handle still works");
    }
}
