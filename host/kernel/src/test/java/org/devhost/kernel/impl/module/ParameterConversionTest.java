package org.devhost.kernel.impl.module;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.junit.jupiter.api.Test;
import org.osgi.service.metatype.AttributeDefinition;

/** How insmod's text values become typed values, checked against the module's Metatype definition. */
class ParameterConversionTest {
    /** A declared parameter, as Metatype describes one (a plain value, as a module's annotations give). */
    private record Declared(String id, int type, int cardinality) implements AttributeDefinition {
        public String getName() { return id; }
        public String getID() { return id; }
        public String getDescription() { return ""; }
        public int getCardinality() { return cardinality; }
        public int getType() { return type; }
        public String[] getOptionValues() { return null; }
        public String[] getOptionLabels() { return null; }
        public String validate(String value) { return null; }
        public String[] getDefaultValue() { return null; }
    }

    private static Errno errno(AttributeDefinition ad, String text) {
        return assertThrows(KernelException.class, () -> ModuleParametersComponent.convert(ad, text)).errno();
    }

    @Test
    void anArrayOfStringsHoldsAtMostItsCardinality() {
        Declared names = new Declared("names", AttributeDefinition.STRING, 3);
        assertArrayEquals(new String[] {"a", "b", "c"}, (String[]) ModuleParametersComponent.convert(names, "a,b,c"));
        KernelException four = assertThrows(KernelException.class, () -> ModuleParametersComponent.convert(names, "a,b,c,d"));
        assertEquals(Errno.EINVAL, four.errno());
        assertTrue(four.getMessage().contains("'names'") && four.getMessage().contains("at most 3 strings"), four.getMessage());
        assertArrayEquals(new String[] {""}, (String[]) ModuleParametersComponent.convert(names, ""), "one empty string, as the kernel reads it");
        assertEquals(Errno.EINVAL, errno(new Declared("flags", AttributeDefinition.BOOLEAN, -2), "true,false,true"));
    }

    @Test
    void anArrayOfIntegersHoldsAtMostItsCardinalityToo() {
        Declared ints = new Declared("my_array", AttributeDefinition.INTEGER, 2);
        assertArrayEquals(new Integer[] {1, 2}, (Integer[]) ModuleParametersComponent.convert(ints, "1,2"));
        assertEquals(Errno.EINVAL, errno(ints, "1,2,3"));
    }
}
