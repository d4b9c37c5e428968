package org.devhost.kernel.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.devhost.kernel.Device;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.testing.fixture.Greeter;
import org.devhost.kernel.testing.fixture.Hybrid;
import org.devhost.kernel.testing.fixture.Registrar;
import org.junit.jupiter.api.Test;

/**
 * {@link TestKernel#load(Class, String...)} loads a component as the host does, from what bnd
 * wrote: the fixtures' descriptions and Metatype are in this module's test resources, written as
 * bnd writes them (the outside driver projects in the itests use the real bnd output).
 */
class ComponentLoaderTest {
    private final TestKernel kernel = new TestKernel();
    private final DeviceRegistry user = kernel.load("user");

    private String read(String device) {
        try (OpenFile f = user.open(device, OpenFlags.O_RDONLY)) {
            ByteBuffer b = ByteBuffer.allocate(100);
            int n = f.read(b);
            return new String(b.array(), 0, n, StandardCharsets.US_ASCII);
        }
    }

    @Test
    void theOneClassFormGetsItsDeviceWithTheAnnotatedNameMinorAndModeAndItsTypedParameters() {
        LoadedModule<Greeter> greeter = kernel.load(Greeter.class, "start=7", "greeting.text=hi");
        assertEquals("greeter", greeter.name(), "the module name comes from the manifest's devhost.module");
        Device d = user.device("greeter").orElseThrow();
        assertEquals(77, d.number().minor(), "the fixed minor the annotation gave");
        assertEquals(0666, d.mode());
        assertEquals("greeter", d.module());
        assertEquals("hi 7\n", read("greeter"), "the property type maps greeting_text() to greeting.text");
        assertEquals(7, greeter.properties().get("start"), "typed by the Metatype: an Integer, as the host stores it");
        assertTrue(kernel.messages("greeter").contains("greeter starts at 7"), "its Logger writes under the module");

        kernel.unload(greeter);
        assertTrue(Greeter.dropped, "its deactivate ran");
        assertTrue(user.device("greeter").isEmpty());
    }

    @Test
    void withoutParametersThePropertyTypesDefaultsApply() {
        LoadedModule<Greeter> greeter = kernel.load(Greeter.class);
        assertEquals("hello 0\n", read("greeter"));
        assertEquals(0, greeter.properties().get("start"), "the default bnd wrote as a component property");
        assertFalse(greeter.properties().containsKey("service.pid"), "no configuration: no parameters given");
        kernel.unload(greeter);
    }

    @Test
    void aParameterThatDoesNotFitItsDeclarationIsEinvalAndNothingIsLoaded() {
        KernelException notANumber = assertThrows(KernelException.class, () -> kernel.load(Greeter.class, "start=many"));
        assertEquals(Errno.EINVAL, notANumber.errno());
        assertTrue(notANumber.getMessage().contains("start"), notANumber.getMessage());
        KernelException tooBig = assertThrows(KernelException.class, () -> kernel.load(Greeter.class, "start=101"));
        assertEquals(Errno.EINVAL, tooBig.errno(), "the Metatype's max is the host's bound too");
        assertThrows(KernelException.class, () -> kernel.load(Greeter.class, "start"));
        assertTrue(user.device("greeter").isEmpty());
    }

    @Test
    void anUnknownParameterReachesTheComponentAsTextAsInTheHost() {
        LoadedModule<Greeter> greeter = kernel.load(Greeter.class, "colour=blue");
        assertEquals("blue", greeter.properties().get("colour"));
        kernel.unload(greeter);
    }

    @Test
    void aComponentThatRegistersItsOwnDevicesGetsTheModulesRegistryAndAFailedInitLeavesNothing() {
        LoadedModule<Registrar> r = kernel.load(Registrar.class);
        assertTrue(user.device("registrar").isPresent());
        assertEquals(null, r.miscDevice(), "not the one-class form: the kit registered nothing for it");
        kernel.unload(r);
        assertTrue(user.device("registrar").isEmpty(), "what it registered went with the module");

        IllegalStateException failed = assertThrows(IllegalStateException.class, () -> kernel.load(Registrar.class, "fail=true"));
        assertEquals("told to fail", failed.getMessage(), "what the init threw, as it threw it");
        assertTrue(user.device("registrar").isEmpty(), "a failed init leaves nothing registered");
    }

    /** WRITING-DRIVERS.md 7.8: the one-class form's device and a region from its constructor, one module. */
    @Test
    void aOneClassDriverMayAlsoRegisterARegion() {
        LoadedModule<Hybrid> hybrid = kernel.load(Hybrid.class);
        assertEquals("240:0", user.device("hybrid0").orElseThrow().number().toString());
        assertEquals(hybrid.name(), user.device("hybrid").orElseThrow().module());
        assertEquals(hybrid.name(), user.device("hybrid0").orElseThrow().module());
        kernel.unload(hybrid);
        assertTrue(user.device("hybrid").isEmpty() && user.device("hybrid0").isEmpty(), "both go with the module");
    }

    @Test
    void aClassBndDidNotProcessIsRefusedSayingWhy() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> kernel.load(ComponentLoaderTest.class));
        assertTrue(e.getMessage().contains("no component description OSGI-INF/" + ComponentLoaderTest.class.getName() + ".xml"),
                e.getMessage());
        assertTrue(e.getMessage().contains("bnd-process"), e.getMessage());
    }

    @Test
    void dsNamesMethodsAsPropertiesAndCoercesValuesByItsRules() {
        assertEquals("my.param", ComponentLoader.propertyName("my_param"));
        assertEquals("my_param", ComponentLoader.propertyName("my__param"));
        assertEquals("a-b", ComponentLoader.propertyName("a$_$b"));
        assertEquals("a$b", ComponentLoader.propertyName("a$$b"));
        assertEquals("ab", ComponentLoader.propertyName("a$b"));
        assertEquals("my.value", ComponentLoader.typeNameToKey("MyValue"));
        Greeter.Params p = (Greeter.Params) ComponentLoader.propertyType(Greeter.Params.class, Map.of("start", "16"));
        assertEquals(16, p.start());
        assertEquals(null, p.greeting_text(), "a missing property is null, as Felix SCR gives it (bnd writes the defaults)");
        assertEquals(1, ((Greeter.Params) ComponentLoader.propertyType(Greeter.Params.class, Map.of("start", true))).start());
        assertEquals(4, ((Greeter.Params) ComponentLoader.propertyType(Greeter.Params.class, Map.of("start", java.util.List.of(4, 5)))).start());
        Greeter.Params hex = (Greeter.Params) ComponentLoader.propertyType(Greeter.Params.class, Map.of("start", "0x10"));
        assertEquals(Errno.EINVAL, assertThrows(KernelException.class, hex::start).errno(), "text is parsed strictly, as the host does");
    }

    @Test
    void parametersNeedTheConfigurationPidToBeTheModulesName() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> kernel.load(Hybrid.class, "x=1"));
        assertTrue(e.getMessage().contains("@Component(configurationPid = \"greeter\")"), e.getMessage());
        assertTrue(user.device("hybrid").isEmpty());
    }

    @Test
    void theModuleNameIsTheDevhostModuleCapabilityAndNoOther() {
        assertEquals("ours", ComponentLoader.capability("acme.devhost.module;acme.devhost.module=theirs,devhost.module;devhost.module=ours",
                "devhost.module"));
        assertEquals("x", ComponentLoader.capability("devhost.module; devhost.module = x", "devhost.module"));
        assertEquals("m", ComponentLoader.capability("osgi.service;objectClass:List<String>=\"a,b\";uses:=\"c\","
                + "devhost.module;devhost.module:String=\"m\";description=\"one, two; three\"", "devhost.module"));
        assertEquals(null, ComponentLoader.capability("osgi.service;objectClass=x", "devhost.module"));
    }
}
