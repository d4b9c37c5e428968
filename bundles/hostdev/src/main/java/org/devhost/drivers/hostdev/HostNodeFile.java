package org.devhost.drivers.hostdev;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Set;
import org.devhost.hal.DeviceNode;
import org.devhost.hal.Hal;
import org.devhost.hal.KnownIoctl;
import org.devhost.kernel.Errno;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.IoctlArg;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.PollEvents;

/**
 * One host node behind a registry device: each open of the device opens the real node (the
 * per-open data), every operation is forwarded to it, release closes it. {@code nodes} holds every
 * node open now, so that the driver can close them all when it goes, whatever happens to release.
 *
 * <p>ioctl: only commands its {@link IoctlGate} knows are forwarded, each as its description says
 * (a number by value, or memory of the described size); a number is never passed where the
 * command takes memory. Unload: a call that fails because the driver closed its node while it
 * waited (or that starts after) gets ENODEV, as any call on a device going away does. An
 * interrupt of the caller's thread (devfs's answer to a client's signal) ends a call waiting in the
 * node with the HAL's EINTR, passed on as it is; the node stays open. A call waiting in the node is
 * parked, not hung, to the kernel's watchdog (it knows the HAL's wait by its stack frame).
 * Thread-safe: holds no state of its own besides immutable configuration.
 */
final class HostNodeFile implements FileOperations<DeviceNode> {
    private final Hal hal;
    private final String path;
    private final OpenNodes nodes;
    private final IoctlGate ioctls;

    /** A node with the HAL's ioctl table only (the benchmark's form). */
    HostNodeFile(Hal hal, String path, Set<DeviceNode> live) {
        this(hal, path, new OpenNodes(live), new IoctlGate(path, Map.of()));
    }

    HostNodeFile(Hal hal, String path, OpenNodes nodes, IoctlGate ioctls) {
        this.hal = hal;
        this.path = path;
        this.nodes = nodes;
        this.ioctls = ioctls;
    }

    @Override
    public DeviceNode open(File file) {
        if (nodes.closing()) {
            throw new KernelException(Errno.ENODEV, "open " + file.deviceName() + ": its driver hostdev is going away");
        }
        DeviceNode node = hal.open(path, file.flags() & (OpenFlags.O_ACCMODE | OpenFlags.O_NONBLOCK));
        nodes.add(node, file.deviceName());
        return node;
    }

    @Override
    public void release(DeviceNode node, File file) {
        nodes.remove(node);
        node.close();
    }

    @Override
    public int read(DeviceNode node, File file, ByteBuffer dst, long offset) {
        try {
            return node.read(dst);
        } catch (KernelException e) {
            throw gone(e, "read", file);
        }
    }

    @Override
    public int write(DeviceNode node, File file, ByteBuffer src, long offset) {
        try {
            return node.write(src);
        } catch (KernelException e) {
            throw gone(e, "write", file);
        }
    }

    @Override
    public long seek(DeviceNode node, File file, long offset, int whence) {
        try {
            return node.seek(offset, whence);
        } catch (KernelException e) {
            throw gone(e, "seek", file);
        }
    }

    @Override
    public long ioctl(DeviceNode node, File file, int cmd, IoctlArg arg) {
        KnownIoctl k = ioctls.describe(cmd);
        try {
            if (!k.takesMemory()) {
                if (arg.isPointer()) {
                    throw new KernelException(Errno.EINVAL, "ioctl " + k.name() + " on " + file.deviceName()
                            + " takes a number, not memory; pass the value");
                }
                return node.ioctl(k, arg.value());
            }
            if (!arg.isPointer()) {
                throw new KernelException(Errno.EFAULT, "ioctl " + k.name() + " on " + file.deviceName() + " takes "
                        + k.size() + " bytes of memory and got the number " + arg.value()
                        + "; a number is never used as an address, pass a buffer");
            }
            return node.ioctl(k, arg.buffer());
        } catch (KernelException e) {
            throw gone(e, "ioctl", file);
        }
    }

    @Override
    public int poll(DeviceNode node, File file) {
        try {
            return node.poll(PollEvents.DEFAULT_MASK | PollEvents.POLLPRI, 0);
        } catch (KernelException e) {
            throw gone(e, "poll", file);
        }
    }

    /** EBADF from a node the unloading driver closed becomes the ENODEV of a device going away. */
    private KernelException gone(KernelException e, String what, File file) {
        if (e.errno() == Errno.EBADF && (nodes.closing() || file.isRevoked())) {
            return new KernelException(Errno.ENODEV, what + " " + file.deviceName() + " (" + file.device()
                    + "): its driver hostdev is going away", null);
        }
        return e;
    }

    @Override
    public String toString() {
        return "host node " + path;
    }
}
