package org.devhost.kernel.impl.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernLevel;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.LogLine;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.junit.jupiter.api.Test;
import org.osgi.service.log.Logger;

/** The kernel log outside a framework, as a driver's unit test reads it: levels, placeholders, the kernel's own lines. */
class StandaloneKernelLogTest {
    private final StandaloneKernel kernel = new StandaloneKernel();

    private List<String> lines(String source) {
        return kernel.log().lines().stream().filter(l -> l.source().equals(source)).map(l -> l.level() + " " + l.message()).toList();
    }

    @Test
    void aDriversLoggerWritesAtItsLevelWithPlaceholdersFilledAsTheLogServiceDoes() {
        Logger log = kernel.logger("scull");
        log.error("e {}", 1);
        log.warn("w {} {}", "a", "b");
        log.info("i {} and {} and {}", 1, 2);
        log.audit("a");
        log.debug("d");
        log.trace("t {}", "x");
        log.info("{}{}", new Object[] {"x", "y"});
        assertEquals(List.of("ERR e 1", "WARNING w a b", "INFO i 1 and 2 and {}", "NOTICE a", "DEBUG d", "DEBUG t x", "INFO xy"),
                lines("scull"));
        assertEquals("scull", log.getName());
        assertTrue(log.isDebugEnabled());
    }

    @Test
    void theKernelsOwnLinesAreFiledUnderTheModuleAtTheirLevelWithTheError() {
        DeviceRegistry drv = kernel.load("faulty");
        drv.registerMisc("faulty", MiscDevice.DYNAMIC_MINOR, new FileOperations<Void>() {
            @Override
            public Void open(File file) {
                return null;
            }

            @Override
            public int read(Void data, File file, ByteBuffer dst, long offset) {
                throw new IllegalStateException("bug");
            }
        });
        try (OpenFile f = kernel.load("user").open("faulty", OpenFlags.O_RDONLY)) {
            assertEquals(Errno.EIO, assertThrows(KernelException.class, () -> f.read(ByteBuffer.allocate(1))).errno());
        }
        LogLine fault = kernel.log().lines().stream().filter(l -> l.level() == KernLevel.ERR).findFirst().orElseThrow();
        assertEquals("faulty", fault.source());
        assertTrue(fault.message().startsWith("read on faulty threw java.lang.IllegalStateException: bug; the caller gets EIO: "
                + "java.lang.IllegalStateException: bug"), fault.message());
        kernel.unload(drv);
        assertTrue(lines("faulty").contains("INFO releasing 1 registration(s) left open by the module"), lines("faulty").toString());
    }
}
