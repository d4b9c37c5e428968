package org.devhost.kernel.impl.layersfixture.supervisor;

import org.devhost.kernel.impl.layersfixture.chrdev.Table;

/** An upper layer using a lower one: allowed. */
public final class Watcher {
    public void crashed(Table table) {
        // nothing: only the dependency matters
    }
}
