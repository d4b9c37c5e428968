package org.devhost.kernel.impl.layersfixture.chrdev;

import org.devhost.kernel.impl.layersfixture.supervisor.Watcher;

/** A lower layer that names an upper one: what KernelLayersTest must refuse. */
public final class Table {
    private final Watcher watcher = new Watcher();

    public void fault() {
        watcher.crashed(this);
    }
}
