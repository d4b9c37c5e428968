package org.devhost.drivers.rust_print;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.devhost.kernel.KernLevel;
import org.devhost.kernel.LogLine;
import org.devhost.kernel.impl.StandaloneKernel;
import org.junit.jupiter.api.Test;

class RustPrintTest {
    @Test
    void oneLineAtEveryLevelWithAndWithoutArguments() {
        StandaloneKernel kernel = new StandaloneKernel();
        new RustPrint(kernel.logger("rust_print")).drop();
        List<LogLine> lines = kernel.log().lines();
        for (KernLevel level : KernLevel.values()) {
            List<LogLine> at = lines.stream().filter(l -> l.level() == level && l.message().contains("(level " + level.ordinal() + ")")).toList();
            assertEquals(2, at.size(), "lines at " + level + ": " + at);
            assertTrue(at.get(0).message().endsWith("without args"), at.get(0).message());
            assertTrue(at.get(1).message().endsWith("with args"), at.get(1).message());
        }
        assertEquals("Emergency message (level 0) with args",
                lines.stream().filter(l -> l.level() == KernLevel.EMERG).toList().get(1).message());
        assertEquals("Rust printing macros sample (exit)", lines.get(lines.size() - 1).message());
    }
}
