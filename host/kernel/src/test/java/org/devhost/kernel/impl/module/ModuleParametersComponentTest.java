package org.devhost.kernel.impl.module;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Collections;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.ModuleParameters.Parameter;
import org.devhost.kernel.impl.FakeFramework.FakeBundle;
import org.devhost.kernel.impl.FakeFramework;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.service.metatype.MetaTypeInformation;
import org.osgi.service.metatype.MetaTypeService;
import org.osgi.service.metatype.ObjectClassDefinition;

/** modinfo's parameters and insmod's values: declared by Metatype, stored in Configuration Admin, checked as the kernel does. */
class ModuleParametersComponentTest {
    private final FakeFramework fw = new FakeFramework();
    private final ModuleParametersComponent params = new ModuleParametersComponent();
    /** The configuration store: pid to its properties (null until first updated). */
    private final Map<String, Dictionary<String, Object>> store = new HashMap<>();
    private final List<String> filters = new java.util.ArrayList<>();
    private volatile boolean storeFails;
    private final FakeBundle scull = fw.module("scull");

    ModuleParametersComponentTest() {
        params.activate(fw.context);
        FakeFramework.inject(params, "configAdmin", configAdmin());
        FakeFramework.inject(params, "metatype", metatype(Map.of("scull", List.of(
                ad("scull_quantum", AttributeDefinition.INTEGER, 0, "bytes per quantum", new String[] {"4000"}, 100_000),
                ad("scull_debug", AttributeDefinition.BOOLEAN, 0, null, new String[] {"false"}, 0),
                ad("scull_name", AttributeDefinition.STRING, 0, "a name", null, 0),
                ad("scull_sizes", AttributeDefinition.INTEGER, 3, "sizes", new String[] {"1", "2"}, 0),
                ad("scull_flags", AttributeDefinition.BOOLEAN, -2, "flags", null, 0),
                ad("scull_names", AttributeDefinition.STRING, 2, "names", null, 0),
                ad("scull_big", AttributeDefinition.LONG, 0, "big", null, 0),
                ad("scull_ratio", AttributeDefinition.DOUBLE, 0, "ratio", null, 0)))));
        scull.readonly.add("scull_debug");
    }

    private ConfigurationAdmin configAdmin() {
        return FakeFramework.proxy(ConfigurationAdmin.class, (p, m, a) -> switch (m.getName()) {
            case "listConfigurations" -> {
                filters.add((String) a[0]);
                String pid = ((String) a[0]).replaceAll("^\\(service\\.pid=(.*)\\)$", "$1").replaceAll("\\\\(.)", "$1");
                yield store.containsKey(pid) ? new Configuration[] {configuration(pid)} : null;
            }
            case "getConfiguration" -> {
                store.putIfAbsent((String) a[0], null);
                yield configuration((String) a[0]);
            }
            default -> FakeFramework.standard(p, m.getName(), a, "config admin");
        });
    }

    private Configuration configuration(String pid) {
        return FakeFramework.proxy(Configuration.class, (p, m, a) -> switch (m.getName()) {
            case "getProperties" -> store.get(pid) == null ? null : copy(store.get(pid));
            case "update" -> {
                if (storeFails) {
                    throw new IOException("disk full");
                }
                Dictionary<String, Object> d = copy((Dictionary<String, Object>) a[0]);
                d.put("service.pid", pid);
                store.put(pid, d);
                yield null;
            }
            case "getPid" -> pid;
            default -> FakeFramework.standard(p, m.getName(), a, "configuration " + pid);
        });
    }

    private static Dictionary<String, Object> copy(Dictionary<String, Object> d) {
        Hashtable<String, Object> c = new Hashtable<>();
        for (String k : Collections.list(d.keys())) {
            c.put(k, d.get(k));
        }
        return c;
    }

    private static AttributeDefinition ad(String id, int type, int cardinality, String description, String[] defaults, int max) {
        return FakeFramework.proxy(AttributeDefinition.class, (p, m, a) -> switch (m.getName()) {
            case "getID", "getName" -> id;
            case "getType" -> type;
            case "getCardinality" -> cardinality;
            case "getDescription" -> description;
            case "getDefaultValue" -> defaults;
            case "validate" -> max > 0 && Integer.parseInt((String) a[0]) > max ? "is more than " + max : "";
            default -> FakeFramework.standard(p, m.getName(), a, "attribute " + id);
        });
    }

    private MetaTypeService metatype(Map<String, List<AttributeDefinition>> byPid) {
        return FakeFramework.proxy(MetaTypeService.class, (p, m, a) -> {
            Bundle b = (Bundle) a[0];
            String pid = fw.bundles.stream().filter(f -> f.bundle == b).findFirst().orElseThrow().module;
            if (pid == null) {
                return null;
            }
            return FakeFramework.proxy(MetaTypeInformation.class, (p2, m2, a2) -> switch (m2.getName()) {
                case "getPids" -> byPid.containsKey(pid) ? new String[] {pid} : new String[0];
                case "getObjectClassDefinition" -> FakeFramework.proxy(ObjectClassDefinition.class, (p3, m3, a3) -> switch (m3.getName()) {
                    case "getAttributeDefinitions" -> byPid.get(pid).toArray(AttributeDefinition[]::new);
                    default -> FakeFramework.standard(p3, m3.getName(), a3, "ocd");
                });
                default -> FakeFramework.standard(p2, m2.getName(), a2, "metatype info");
            });
        });
    }

    private static Errno errno(Runnable r) {
        return assertThrows(KernelException.class, r::run).errno();
    }

    @Test
    void modinfoDescribesEachDeclaredParameterWithItsKernelTypeAndWhetherItIsReadOnly() {
        List<Parameter> d = params.describe("scull");
        assertEquals(List.of(
                new Parameter("scull_quantum", "int", "bytes per quantum", List.of("4000"), false),
                new Parameter("scull_debug", "bool", "", List.of("false"), true),
                new Parameter("scull_name", "charp", "a name", List.of(), false),
                new Parameter("scull_sizes", "array of int", "sizes", List.of("1", "2"), false),
                new Parameter("scull_flags", "array of bool", "flags", List.of(), false),
                new Parameter("scull_names", "array of charp", "names", List.of(), false),
                new Parameter("scull_big", "long", "big", List.of(), false),
                new Parameter("scull_ratio", "value", "ratio", List.of(), false)), d);
        assertEquals(List.of(), params.describe(fw.module("undeclared").module), "no metadata: no parameters");
        KernelException none = assertThrows(KernelException.class, () -> params.describe("nope"));
        assertEquals(Errno.ENOENT, none.errno());
        assertTrue(none.getMessage().startsWith("module nope: no installed bundle is that module"), none.getMessage());
        FakeFramework.inject(params, "metatype", null);
        assertEquals(List.of(), params.describe("scull"), "no Metatype service: nothing declared to tell");
    }

    @Test
    void valuesAreTheDefaultsOverriddenByWhatIsStored() {
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("scull_quantum", "4000");
        expected.put("scull_debug", "false");
        expected.put("scull_name", null);
        expected.put("scull_sizes", List.of("1", "2"));
        expected.put("scull_flags", null);
        expected.put("scull_names", null);
        expected.put("scull_big", null);
        expected.put("scull_ratio", null);
        assertEquals(expected, params.get("scull"));

        params.set("scull", Map.of("scull_quantum", "0x10", "scull_sizes", "3,4", "other", "x"));
        Hashtable<String, Object> extra = (Hashtable<String, Object>) store.get("scull");
        extra.put("felix.fileinstall.filename", "conf/scull.cfg");
        Map<String, Object> now = params.get("scull");
        assertEquals(16, now.get("scull_quantum"), "stored typed: 0x10 is 16");
        assertEquals(List.of(3, 4), now.get("scull_sizes"));
        assertEquals("x", now.get("other"), "an unknown name is kept; the module reports it");
        assertTrue(!now.containsKey("service.pid") && !now.containsKey("felix.fileinstall.filename"), now.toString());
        assertEquals(List.of("(service.pid=scull)"), filters.subList(0, 1));
    }

    @Test
    void aValueIsCheckedAgainstItsTypeAndItsDefinition() {
        KernelException notInt = assertThrows(KernelException.class, () -> params.set("scull", Map.of("scull_quantum", "lots")));
        assertEquals(Errno.EINVAL, notInt.errno());
        KernelException tooBig = assertThrows(KernelException.class, () -> params.set("scull", Map.of("scull_quantum", "200000")));
        assertEquals(Errno.EINVAL, tooBig.errno());
        assertEquals("parameter 'scull_quantum': '200000' is more than 100000", tooBig.getMessage().replaceAll(": [^:]*\\(EINVAL\\)$", ""));
        assertNull(store.get("scull"), "nothing stored");

        params.load("scull", Map.of("scull_debug", "y", "scull_flags", "y,n", "scull_names", "a,b", "scull_big", "0x100000000",
                "scull_name", "hello"));
        Dictionary<String, Object> s = store.get("scull");
        assertEquals(Boolean.TRUE, s.get("scull_debug"));
        assertArrayEquals(new Boolean[] {true, false}, (Boolean[]) s.get("scull_flags"));
        assertArrayEquals(new String[] {"a", "b"}, (String[]) s.get("scull_names"));
        assertEquals(0x100000000L, s.get("scull_big"));
        assertEquals("hello", s.get("scull_name"));
        assertEquals(Errno.EINVAL, errno(() -> params.set("scull", Map.of("scull_names", "a,b,c"))), "more than the array holds");
    }

    @Test
    void aReadOnlyParameterChangesOnlyAtLoadAndALoadReplacesWhatWasStored() {
        params.set("scull", Map.of("scull_quantum", "100", "scull_debug", "1"));
        scull.state = Bundle.ACTIVE;
        KernelException ro = assertThrows(KernelException.class, () -> params.set("scull", Map.of("scull_debug", "0")));
        assertEquals(Errno.EPERM, ro.errno());
        assertTrue(ro.getMessage().startsWith("parameter 'scull_debug' of scull is read-only once the module is loaded"),
                ro.getMessage());
        params.set("scull", Map.of("scull_name", "n"));
        assertEquals(Map.of("scull_quantum", 100, "scull_debug", true, "scull_name", "n"), params.stored("scull"),
                "set adds to what is stored");

        params.load("scull", Map.of("scull_debug", "0"));
        assertEquals(Map.of("scull_debug", false), params.stored("scull"), "load replaces");
        params.load("scull", Map.of());
        assertEquals(Map.of(), params.stored("scull"), "a load with no values leaves the declared defaults");
        assertEquals("4000", params.get("scull").get("scull_quantum"));
    }

    @Test
    void restorePutsBackExactlyWhatWasStoredAndAStoreFailureIsEio() {
        params.restore("scull", Map.of("scull_quantum", 7));
        assertEquals(Map.of("scull_quantum", 7), params.stored("scull"));
        params.restore("scull", Map.of());
        assertEquals(Map.of(), params.stored("scull"));
        params.restore("scull", null);
        assertEquals(Map.of(), params.stored("never_stored"));
        params.restore("never_stored", null);
        assertNull(store.get("never_stored"), "none is created where none exists");

        storeFails = true;
        KernelException io = assertThrows(KernelException.class, () -> params.restore("scull", Map.of("a", 1)));
        assertEquals(Errno.EIO, io.errno());
        assertTrue(io.getMessage().startsWith("parameters of scull: the configuration store failed"), io.getMessage());
        assertEquals(Errno.EIO, errno(() -> params.set("scull", Map.of("scull_quantum", "1"))));

        FakeFramework.inject(params, "configAdmin", null);
        KernelException off = assertThrows(KernelException.class, () -> params.set("scull", Map.of("scull_quantum", "1")));
        assertEquals(Errno.ENODEV, off.errno());
        assertTrue(off.getMessage().startsWith("parameters of scull: Configuration Admin is not running"), off.getMessage());
        assertEquals(Errno.ENODEV, errno(() -> params.restore("scull", Map.of())));
        assertEquals(Map.of(), params.stored("scull"));
        assertEquals("4000", params.get("scull").get("scull_quantum"));
    }

    @Test
    void aModuleNameIsEscapedInTheConfigurationFilter() {
        FakeBundle odd = fw.module("a(b)*c");
        params.stored(odd.module);
        assertEquals("(service.pid=a\\(b\\)\\*c)", filters.get(filters.size() - 1));
    }
}
