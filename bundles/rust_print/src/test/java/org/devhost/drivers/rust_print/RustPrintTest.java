package org.devhost.drivers.rust_print;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.devhost.kernel.LogLine;
import org.devhost.kernel.testing.TestKernel;
import org.junit.jupiter.api.Test;

class RustPrintTest {
    /** rust_print.rs: levels 0 to 6 without and with args, each group followed by a continued line; no debug. */
    @Test
    void theOriginalsLinesAtTheOriginalsLevels() {
        TestKernel kernel = new TestKernel();
        new RustPrint(kernel.logger("rust_print")).drop();
        List<String> lines = kernel.log().lines().stream().map(l -> l.level().label() + " " + l.message()).toList();
        assertEquals(List.of(
                "info Rust printing macros sample (init)",
                "emerg Emergency message (level 0) without args",
                "alert Alert message (level 1) without args",
                "crit Critical message (level 2) without args",
                "err Error message (level 3) without args",
                "warn Warning message (level 4) without args",
                "notice Notice message (level 5) without args",
                "info Info message (level 6) without args",
                "info A line that is continued without args",
                "emerg Emergency message (level 0) with args",
                "alert Alert message (level 1) with args",
                "crit Critical message (level 2) with args",
                "err Error message (level 3) with args",
                "warn Warning message (level 4) with args",
                "notice Notice message (level 5) with args",
                "info Info message (level 6) with args",
                "info A line that is continued with args",
                "info Rust printing macros sample (exit)"), lines);
    }
}
