package org.devhost.kernel.impl.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.List;
import org.devhost.kernel.Errno;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.impl.FakeFramework.FakeBundle;
import org.devhost.kernel.impl.FakeFramework;
import org.devhost.kernel.impl.Parked;
import org.devhost.kernel.impl.chrdev.ModuleContext;
import org.devhost.kernel.impl.registry.KernelCore;
import org.devhost.kernel.impl.registry.ModuleRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A driver whose operations keep throwing is crashed and restarted: the fault reaches the supervisor from the I/O path. */
@Timeout(30)
class DriverFaultSupervisionTest {
    private final FakeFramework fw = new FakeFramework();
    private final KernelCore core = fw.kernelCore();
    private final Supervisor sup = new Supervisor(core, fw.scr, fw.context);

    @AfterEach
    void stop() {
        sup.deactivate();
    }

    @Test
    void throwingReadsPastTheThresholdRestartTheDriver() throws Exception {
        FakeFramework.inject(sup, "events", fw.eventAdmin);
        sup.addPolicy(FakeFramework.policy("faulty", "fault_threshold", 2));
        FakeBundle faulty = fw.module("faulty").driver(core, r -> r.registerMisc("faulty", MiscDevice.DYNAMIC_MINOR,
                new FileOperations<Void>() {
                    @Override
                    public Void open(File file) {
                        return null;
                    }

                    @Override
                    public int read(Void data, File file, ByteBuffer dst, long offset) {
                        throw new IllegalStateException("bug");
                    }
                }));
        faulty.bundle.start();
        OpenFile f = new ModuleRegistry(new ModuleContext("user", core.table())).open("faulty", OpenFlags.O_RDONLY);
        assertEquals(Errno.EIO, assertThrows(KernelException.class, () -> f.read(ByteBuffer.allocate(1))).errno());
        assertEquals(List.of(), fw.moduleEvents("faulty"));
        assertEquals(Errno.EIO, assertThrows(KernelException.class, () -> f.read(ByteBuffer.allocate(1))).errno());
        Parked.until(() -> fw.moduleEvents("faulty").size() >= 3);
        assertEquals(List.of("CRASHED", "RESTARTING", "RESTARTED"), fw.moduleEvents("faulty"));
        assertEquals("2 faults within 60000 ms (last: read threw IllegalStateException)",
                ((org.devhost.kernel.ModuleStatus.Failure) sup.view("faulty")[3]).reason());
    }
}
