package org.devhost.itests.drivers;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernelModule;
import org.devhost.kernel.MiscDeviceProperties;
import org.osgi.service.component.annotations.Component;

/**
 * A test driver whose read allocates without end: in the host's process it would take the whole
 * host down ({@code ExitOnOutOfMemoryError}); isolated, only its own process.
 */
@KernelModule(name = "itest_hog", description = "read allocates without end")
@MiscDeviceProperties(name = "itest_hog")
@Component(service = FileOperations.class)
public final class Hog implements FileOperations<Void> {
    private final List<byte[]> held = new ArrayList<>();

    @Override
    public Void open(File file) {
        return null;
    }

    @Override
    public int read(Void data, File file, ByteBuffer dst, long offset) {
        while (true) {
            held.add(new byte[1 << 20]);
        }
    }
}
