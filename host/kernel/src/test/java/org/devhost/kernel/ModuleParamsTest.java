package org.devhost.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The parameter syntax of the kernel's parsers (rust/kernel/module_param.rs, kstrtobool, param_array). */
class ModuleParamsTest {

    private static void assertEinvalNaming(String name, Runnable r) {
        KernelException e = assertThrows(KernelException.class, r::run);
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().startsWith("parameter '" + name + "': "), e.getMessage());
    }

    @Test
    void integersTakeHexOctalBinaryAndASign() {
        assertEquals(255, ModuleParams.i32(Map.of("p", "0xff"), "p", 0));
        assertEquals(255, ModuleParams.i32(Map.of("p", "0XFF"), "p", 0));
        assertEquals(15, ModuleParams.i32(Map.of("p", "0o17"), "p", 0));
        assertEquals(15, ModuleParams.i32(Map.of("p", "017"), "p", 0), "a leading 0 is octal, as kstrtol");
        assertEquals(5, ModuleParams.i32(Map.of("p", "0b101"), "p", 0));
        assertEquals(-16, ModuleParams.i32(Map.of("p", "-0x10"), "p", 0));
        assertEquals(7, ModuleParams.i32(Map.of("p", "+7"), "p", 0));
        assertEquals(0, ModuleParams.i32(Map.of("p", "0"), "p", 9));
        assertEquals(9, ModuleParams.i32(Map.of(), "p", 9), "absent: the default");
        assertEquals(12, ModuleParams.i32(Map.of("p", 12), "p", 0), "typed");
    }

    @Test
    void integersRefuseWhatTheKernelRefuses() {
        for (String bad : List.of("#ff", "", "08", "0x", "0b2", "1 2", "abc", "0x-5", "--1", "1e3", "٣")) {
            assertEinvalNaming("my_i32", () -> ModuleParams.i32(Map.of("my_i32", bad), "my_i32", 0));
        }
        KernelException e = assertThrows(KernelException.class, () -> ModuleParams.i32(Map.of("my_i32", "4294967296"), "my_i32", 0));
        assertTrue(e.getMessage().startsWith("parameter 'my_i32': '4294967296' is not a 32-bit integer"), e.getMessage());
        assertEinvalNaming("my_i32", () -> ModuleParams.i32(Map.of("my_i32", "0x80000000"), "my_i32", 0));
        assertEquals(Integer.MIN_VALUE, ModuleParams.i32(Map.of("p", "-0x80000000"), "p", 0));
    }

    @Test
    void boundsAreCheckedAndNamed() {
        KernelException e = assertThrows(KernelException.class,
                () -> ModuleParams.i32(Map.of("scull_quantum", "0"), "scull_quantum", 4000, 1, Integer.MAX_VALUE));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().startsWith("parameter 'scull_quantum': '0' is not an integer from 1 to 2147483647"), e.getMessage());
        assertEinvalNaming("q", () -> ModuleParams.i32(Map.of("q", -1), "q", 1, 1, 10));
        assertEinvalNaming("q", () -> ModuleParams.i32(Map.of("q", "0xb"), "q", 1, 1, 10));
        assertEquals(10, ModuleParams.i32(Map.of("q", "0xa"), "q", 1, 1, 10));
        assertEinvalNaming("my_usize", () -> ModuleParams.usize(Map.of("my_usize", "-1"), "my_usize", 0));
        assertEquals(Long.MAX_VALUE, ModuleParams.usize(Map.of("u", "0x7fffffffffffffff"), "u", 0));
        assertEinvalNaming("u", () -> ModuleParams.usize(Map.of("u", "0x8000000000000000"), "u", 0));
        assertEquals(64L << 20, ModuleParams.i64(Map.of("m", 64L << 20), "m", 0, 1, Long.MAX_VALUE));
    }

    @Test
    void boolsFollowKstrtobool() {
        for (String t : List.of("y", "Y", "1", "t", "T", "yes", "true", "on", "ON", "oN")) {
            assertTrue(ModuleParams.bool(Map.of("b", t), "b", false), t);
        }
        for (String f : List.of("n", "N", "0", "f", "F", "no", "false", "off", "OFF")) {
            assertFalse(ModuleParams.bool(Map.of("b", f), "b", true), f);
        }
        for (String bad : List.of("", "maybe", "o", "ok", "2")) {
            assertEinvalNaming("my_bool", () -> ModuleParams.bool(Map.of("my_bool", bad), "my_bool", true));
        }
        assertTrue(ModuleParams.bool(Map.of("b", Boolean.TRUE), "b", false));
        assertTrue(ModuleParams.bool(Map.of(), "b", true));
    }

    @Test
    void integerArraysAreCountedAndEachItemParsed() {
        assertArrayEquals(new int[] {1, 2, 3}, ModuleParams.i32Array(Map.of("a", "1,2,3"), "a", new int[0], 3));
        assertArrayEquals(new int[] {16, 8, -1}, ModuleParams.i32Array(Map.of("a", "0x10,0o10,-1"), "a", new int[0], 3));
        assertArrayEquals(new int[] {4}, ModuleParams.i32Array(Map.of("a", List.of(4)), "a", new int[0], 3));
        assertArrayEquals(new int[] {0, 1}, ModuleParams.i32Array(Map.of(), "a", new int[] {0, 1}, 3));
        assertEinvalNaming("my_array", () -> ModuleParams.i32Array(Map.of("my_array", "1,2,3,4"), "my_array", new int[0], 3));
        assertEinvalNaming("my_array", () -> ModuleParams.i32Array(Map.of("my_array", ""), "my_array", new int[0], 3));
        assertEinvalNaming("my_array", () -> ModuleParams.i32Array(Map.of("my_array", "1,,2"), "my_array", new int[0], 3));
        assertEinvalNaming("my_array", () -> ModuleParams.i32Array(Map.of("my_array", new Integer[0]), "my_array", new int[0], 3));
    }

    @Test
    void arraysOfOtherTypesAreCountedToo() {
        assertArrayEquals(new String[] {"a", "b"}, ModuleParams.strArray(Map.of("s", "a,b"), "s", new String[0], 2));
        assertEinvalNaming("s", () -> ModuleParams.strArray(Map.of("s", "a,b,c"), "s", new String[0], 2));
        assertEinvalNaming("s", () -> ModuleParams.strArray(Map.of("s", new String[] {"a", "b", "c"}), "s", new String[0], 2));
        assertArrayEquals(new boolean[] {true, false}, ModuleParams.boolArray(Map.of("b", "y,off"), "b", new boolean[0], 2));
        assertEinvalNaming("b", () -> ModuleParams.boolArray(Map.of("b", "y,n,y"), "b", new boolean[0], 2));
        assertEinvalNaming("b", () -> ModuleParams.boolArray(Map.of("b", "y,maybe"), "b", new boolean[0], 2));
    }

    @Test
    void unknownParametersAreReportedFrameworkKeysAreNot() {
        List<String> seen = new ArrayList<>();
        ModuleParams.warnUnknown(Map.of("x", "1", "p", "2", "service.pid", "m", "component.id", 3, ".hidden", 1),
                Set.of("p"), seen::add);
        assertEquals(List.of("x"), seen);
    }

    /** A one-class driver's component properties name its device; they are not parameters (issue: three bogus lines per load). */
    @Test
    void theOneClassFormsDevicePropertiesAreNotReportedAsUnknown() {
        List<String> seen = new ArrayList<>();
        ModuleParams.warnUnknown(Map.of(MiscDeviceProperties.NAME, "counter", MiscDeviceProperties.MODE, 0666,
                MiscDeviceProperties.MINOR, -1, "start", 3, "strat", 4), Set.of("start"), seen::add);
        assertEquals(List.of("strat"), seen);
    }
}
