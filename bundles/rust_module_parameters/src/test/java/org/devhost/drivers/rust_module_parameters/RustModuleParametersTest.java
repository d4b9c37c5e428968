package org.devhost.drivers.rust_module_parameters;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.LogLine;
import org.devhost.kernel.testing.TestKernel;
import org.junit.jupiter.api.Test;

class RustModuleParametersTest {
    private final TestKernel kernel = new TestKernel();

    private List<String> log() {
        return kernel.log().lines().stream().map(LogLine::message).toList();
    }

    @Test
    void defaultsAreLoggedAtInit() {
        RustModuleParameters m = new RustModuleParameters(kernel.logger("rust_module_parameters"), Map.of());
        assertEquals(List.of("Rust module parameters sample (init)", "Parameters:", "  my_bool:    true",
                "  my_i32:     42", "  my_str:     default str val", "  my_usize:   42", "  my_array:   [0, 1]"), log());
        assertTrue(m.myBool());
    }

    @Test
    void valuesComeTypedOrAsText() {
        RustModuleParameters m = new RustModuleParameters(kernel.logger("p"), Map.of("my_bool", "n", "my_i32", "-7",
                "my_str", "hello", "my_usize", 9L, "my_array", "3,4"));
        assertEquals(false, m.myBool());
        assertEquals(-7, m.myI32());
        assertEquals("hello", m.myStr());
        assertEquals(9, m.myUsize());
        assertArrayEquals(new int[] {3, 4}, m.myArray());
    }

    /** rust_module_parameters.rs: {@code my_array: ArrayParam<i32, 3>}; module_param.rs parses 0x, 0o, 0b and kstrtobool. */
    @Test
    void theArrayTakesThreeAndTextFollowsTheKernelsParsers() {
        RustModuleParameters m = new RustModuleParameters(kernel.logger("p"), Map.of("my_array", "1,2,3", "my_i32", "0o17",
                "my_usize", "0x2a", "my_bool", "off"));
        assertArrayEquals(new int[] {1, 2, 3}, m.myArray());
        assertEquals(15, m.myI32());
        assertEquals(42, m.myUsize());
        assertEquals(false, m.myBool());
        assertEquals(true, new RustModuleParameters(kernel.logger("p"), Map.of("my_bool", "yes")).myBool());
    }

    @Test
    void aBadValueFailsInitWithEinvalNamingTheParameter() {
        for (Map<String, Object> bad : List.<Map<String, Object>>of(Map.of("my_i32", "abc"), Map.of("my_usize", "-1"),
                Map.of("my_bool", "maybe"), Map.of("my_array", "1,2,3,4"), Map.of("my_array", ""), Map.of("my_i32", "#ff"),
                Map.of("my_i32", "4294967296"))) {
            KernelException e = assertThrows(KernelException.class, () -> new RustModuleParameters(kernel.logger("p"), bad));
            assertEquals(Errno.EINVAL, e.errno());
            String name = bad.keySet().iterator().next();
            assertTrue(e.getMessage().startsWith("parameter '" + name + "'"), e.getMessage());
        }
        assertTrue(log().isEmpty(), "a failed init logs nothing of its own");
    }

    @Test
    void anUnknownParameterIsLoggedAndIgnored() {
        new RustModuleParameters(kernel.logger("p"), Map.of("x", "1", "service.pid", "rust_module_parameters"));
        assertTrue(log().contains("rust_module_parameters: unknown parameter 'x' ignored"), log().toString());
    }

    @Test
    void writableParametersChangeAtRunTimeTheReadOnlyOnesDoNot() {
        RustModuleParameters m = new RustModuleParameters(kernel.logger("p"), Map.of());
        Map<String, Object> next = new HashMap<>(Map.of("my_i32", 5, "my_bool", false, "my_array", "7"));
        m.modified(next);
        assertEquals(5, m.myI32());
        assertTrue(m.myBool(), "my_bool keeps its load-time value");
        assertArrayEquals(new int[] {0, 1}, m.myArray(), "my_array (permissions 0) keeps its load-time value");
        assertTrue(log().contains("rust_module_parameters: my_bool is read-only; keeping true"), log().toString());
        assertTrue(log().contains("rust_module_parameters: my_array is read-only; keeping [0, 1]"), log().toString());
    }
}
