package org.devhost.devfs;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.devhost.kernel.Device;

/**
 * The files devfs shows: the root folder with one regular file per registered device, named as
 * {@code dev:ls} names it, and {@code char/} with one link {@code MAJOR:MINOR -> ../NAME} per
 * device (udev's {@code /dev/char} layout).
 *
 * <p>Invariants: node ids are never reused (a device registered again under the same name is a
 * new node), so a stale id from the kernel's cache finds nothing and answers ENOENT; {@code
 * byName} and {@code byId} hold the same live files. Attributes (mode, owner, times) belong to a
 * node and live as long as its device; a {@code chmod} changes them, never the device. Thread-safe.
 */
final class Nodes {
    static final long ROOT = 1;
    static final long CHAR = 2;
    static final String CHAR_DIR = "char";

    /** A device's file (or its link in {@code char/}, which shares the file's attributes). */
    static final class Node {
        final long id;
        final Device device;
        final String name;
        final String number;
        volatile int mode;
        volatile int uid;
        volatile int gid;
        volatile long atimeNanos;
        volatile long mtimeNanos;
        volatile long ctimeNanos;

        Node(long id, Device device, int mode, int uid, int gid) {
            this.id = id;
            this.device = device;
            this.name = device.name();
            this.number = device.number().major() + ":" + device.number().minor();
            this.mode = mode;
            this.uid = uid;
            this.gid = gid;
            long now = now();
            atimeNanos = now;
            mtimeNanos = now;
            ctimeNanos = now;
        }

        /** The id of this device's link in {@code char/}. */
        long linkId() {
            return id + 1;
        }
    }

    /** One folder entry, as READDIR lists it. */
    record Entry(String name, long id, int type) {}

    private final Map<Long, Node> byId = new ConcurrentHashMap<>();
    private final Map<String, Node> byName = new ConcurrentHashMap<>();
    private final Map<String, Node> byNumber = new ConcurrentHashMap<>();
    /** Ids go up by two: the file, then its link. */
    private final AtomicLong next = new AtomicLong(16);
    private final int uid;
    private final int gid;
    final long bornNanos = now();

    Nodes(int uid, int gid) {
        this.uid = uid;
        this.gid = gid;
    }

    static long now() {
        java.time.Instant t = java.time.Instant.now();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    int uid() {
        return uid;
    }

    int gid() {
        return gid;
    }

    /** A device appeared: its file and link appear. */
    void add(Device device) {
        if (!hasFile(device.name())) {
            return;
        }
        Node n = new Node(next.getAndAdd(2), device, device.mode() & 07777, uid, gid);
        byId.put(n.id, n);
        Node old = byName.put(n.name, n);
        if (old != null) {
            byId.remove(old.id, old); // its departure has not been seen yet; the new device wins
        }
        old = byNumber.put(n.number, n);
        if (old != null) {
            byId.remove(old.id, old);
        }
    }

    /** "." and ".." cannot be files, and "char" is the folder of links. */
    static boolean hasFile(String name) {
        return !name.equals(".") && !name.equals("..") && !name.equals(CHAR_DIR);
    }

    /** A device went away: its file and link disappear (only if they are still this device's). */
    void remove(Device device) {
        Node n = byName.get(device.name());
        if (n != null && n.device == device) {
            byName.remove(n.name, n);
            byNumber.remove(n.number, n);
            byId.remove(n.id, n);
        }
    }

    /** The node a file or link id names, or null when its device is gone. */
    Node node(long id) {
        return byId.get(id & ~1L);
    }

    static boolean isLink(long id) {
        return id >= 16 && (id & 1) == 1;
    }

    /** A name in a folder: the node's id (a file or a link), {@link #CHAR}, or 0 when there is none. */
    long lookup(long parent, String name) {
        if (parent == ROOT) {
            if (name.equals(CHAR_DIR)) {
                return CHAR;
            }
            Node n = byName.get(name);
            return n == null ? 0 : n.id;
        }
        if (parent == CHAR) {
            Node n = byNumber.get(name);
            return n == null ? 0 : n.linkId();
        }
        return 0;
    }

    /** What a folder holds now, in a stable order, "." and ".." first. */
    List<Entry> list(long dir) {
        List<Entry> out = new ArrayList<>();
        out.add(new Entry(".", dir, Fuse.DT_DIR));
        out.add(new Entry("..", ROOT, Fuse.DT_DIR));
        if (dir == ROOT) {
            out.add(new Entry(CHAR_DIR, CHAR, Fuse.DT_DIR));
            byName.values().stream().sorted((a, b) -> a.name.compareTo(b.name))
                    .forEach(n -> out.add(new Entry(n.name, n.id, Fuse.DT_REG)));
        } else {
            byNumber.values().stream().sorted((a, b) -> a.device.number().compareTo(b.device.number()))
                    .forEach(n -> out.add(new Entry(n.number, n.linkId(), Fuse.DT_LNK)));
        }
        return out;
    }

    /** How many device files there are. */
    int size() {
        return byName.size();
    }

    /** The path of a device's file under the mount point, or null when it has none. */
    String fileName(String deviceName) {
        Node n = byName.get(deviceName);
        return n == null ? null : n.name;
    }
}
