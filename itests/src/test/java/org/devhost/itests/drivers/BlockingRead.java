package org.devhost.itests.drivers;

import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantLock;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernelModule;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.WaitQueue;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** A test driver whose read waits in a kernel wait queue for data that never comes, as an empty pipe does. */
@KernelModule(name = "itest_block", description = "read blocks in a WaitQueue")
@Component(immediate = true)
public final class BlockingRead {
    @Activate
    public BlockingRead(@Reference DeviceRegistry registry) {
        ReentrantLock lock = new ReentrantLock();
        WaitQueue inq = registry.newWaitQueue(lock);
        registry.registerMisc("itest_block", MiscDevice.DYNAMIC_MINOR, new FileOperations<Void>() {
            @Override
            public Void open(File file) {
                return null;
            }

            @Override
            public int read(Void data, File file, ByteBuffer dst, long offset) {
                lock.lock();
                try {
                    inq.waitUntil(file, () -> false);
                    return 0;
                } finally {
                    lock.unlock();
                }
            }
        });
    }
}
