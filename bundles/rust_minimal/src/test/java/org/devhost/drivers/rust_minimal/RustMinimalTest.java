package org.devhost.drivers.rust_minimal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.devhost.kernel.LogLine;
import org.devhost.kernel.testing.TestKernel;
import org.junit.jupiter.api.Test;

class RustMinimalTest {
    @Test
    void initKeepsTheNumbersAndDropPrintsThem() {
        TestKernel kernel = new TestKernel();
        RustMinimal m = new RustMinimal(kernel.logger("rust_minimal"));
        assertEquals(List.of(72, 108, 200), m.numbers());
        m.drop();
        List<String> lines = kernel.log().lines().stream().map(LogLine::message).toList();
        assertEquals(List.of("Rust minimal sample (init)", "Am I built-in? false",
                "My numbers are [72, 108, 200]", "Rust minimal sample (exit)"), lines);
    }
}
