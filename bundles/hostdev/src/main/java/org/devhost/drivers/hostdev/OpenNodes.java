package org.devhost.drivers.hostdev;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.devhost.hal.DeviceNode;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;

/**
 * The host nodes hostdev holds open now, and whether it is unloading. Invariant: once {@link
 * #closeAll} has run, no node is added any more (an open that races with it closes its node and
 * fails with ENODEV), so every node the driver ever opened is closed by it or by release.
 * Thread-safe: adding and closing take this object's lock; the set is the caller's concurrent set.
 */
final class OpenNodes {
    private final Set<DeviceNode> live;
    private boolean closing;

    /** @param live a concurrent set (the benchmark passes its own) */
    OpenNodes(Set<DeviceNode> live) {
        this.live = live;
    }

    /** Keeps a node just opened for {@code device}, or closes it and throws ENODEV when unloading. */
    synchronized void add(DeviceNode node, String device) {
        if (closing) {
            node.close();
            throw new KernelException(Errno.ENODEV, "open " + device + ": its driver hostdev is going away");
        }
        live.add(node);
    }

    void remove(DeviceNode node) {
        live.remove(node);
    }

    synchronized boolean closing() {
        return closing;
    }

    /**
     * Unload: refuses later opens, then closes every node. A call waiting in a node (a blocking
     * read, a poll) wakes and fails; each descriptor closes when its last call returns.
     */
    void closeAll() {
        List<DeviceNode> nodes;
        synchronized (this) {
            closing = true;
            nodes = new ArrayList<>(live);
            live.clear();
        }
        nodes.forEach(DeviceNode::close);
    }
}
