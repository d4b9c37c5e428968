package org.devhost.itests.drivers;

import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernelModule;
import org.devhost.kernel.MiscDeviceProperties;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/** A test driver whose drop never returns: it spins, ignoring interrupts, as a deadlocked stop would hold. */
@KernelModule(name = "itest_endless_drop", description = "drop never returns")
@MiscDeviceProperties(name = "itest_endless_drop")
@Component(service = FileOperations.class)
public final class EndlessDrop implements FileOperations<Void> {
    @Override
    public Void open(File file) {
        return null;
    }

    @Deactivate
    void drop() {
        while (true) {
            Thread.onSpinWait();
        }
    }
}
