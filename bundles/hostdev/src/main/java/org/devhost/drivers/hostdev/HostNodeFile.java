package org.devhost.drivers.hostdev;

import java.nio.ByteBuffer;
import java.util.Set;
import org.devhost.hal.DeviceNode;
import org.devhost.hal.Hal;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.IoctlArg;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.PollEvents;

/**
 * One host node behind a registry device: each open of the device opens the real node (the
 * per-open data), every operation is forwarded to it, release closes it. {@code live} holds every
 * node open now, so that the driver can close them all when it goes, whatever happens to release.
 */
final class HostNodeFile implements FileOperations<DeviceNode> {
    private final Hal hal;
    private final String path;
    private final Set<DeviceNode> live;

    HostNodeFile(Hal hal, String path, Set<DeviceNode> live) {
        this.hal = hal;
        this.path = path;
        this.live = live;
    }

    @Override
    public DeviceNode open(File file) {
        DeviceNode node = hal.open(path, file.flags() & (OpenFlags.O_ACCMODE | OpenFlags.O_NONBLOCK));
        live.add(node);
        return node;
    }

    @Override
    public void release(DeviceNode node, File file) {
        live.remove(node);
        node.close();
    }

    @Override
    public int read(DeviceNode node, File file, ByteBuffer dst, long offset) {
        return node.read(dst);
    }

    @Override
    public int write(DeviceNode node, File file, ByteBuffer src, long offset) {
        return node.write(src);
    }

    @Override
    public long seek(DeviceNode node, File file, long offset, int whence) {
        return node.seek(offset, whence);
    }

    @Override
    public long ioctl(DeviceNode node, File file, int cmd, IoctlArg arg) {
        return arg.isPointer() ? node.ioctl(cmd, arg.buffer()) : node.ioctl(cmd, arg.value());
    }

    @Override
    public int poll(DeviceNode node, File file) {
        return node.poll(PollEvents.DEFAULT_MASK | PollEvents.POLLPRI, 0);
    }

    @Override
    public String toString() {
        return "host node " + path;
    }
}
