package org.devhost.drivers.rust_sync;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.devhost.kernel.LogLine;
import org.devhost.kernel.testing.TestKernel;
import org.junit.jupiter.api.Test;

class RustSyncTest {
    /** rust_sync.rs logs "Value: 10" from the mutex block and again from the spinlock block. */
    @Test
    void initLogsTheOriginalsLines() {
        TestKernel kernel = new TestKernel();
        new RustSync(kernel.load("rust_sync"), kernel.logger("rust_sync")).drop();
        assertEquals(List.of("Rust synchronisation primitives sample (init)", "Value: 10", "Value: 10",
                "Rust synchronisation primitives sample (exit)"),
                kernel.log().lines().stream().map(LogLine::message).toList());
    }
}
