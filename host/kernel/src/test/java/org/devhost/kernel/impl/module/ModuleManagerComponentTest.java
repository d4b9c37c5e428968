package org.devhost.kernel.impl.module;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.ModuleManager;
import org.devhost.kernel.ModuleParameters;
import org.devhost.kernel.ModuleStatus;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.impl.FakeFramework.FakeBundle;
import org.devhost.kernel.impl.FakeFramework;
import org.devhost.kernel.impl.Kernel;
import org.devhost.kernel.impl.Parked;
import org.devhost.kernel.impl.chrdev.ModuleContext;
import org.devhost.kernel.impl.lifecycle.LifecycleSteps;
import org.devhost.kernel.impl.registry.KernelCore;
import org.devhost.kernel.impl.registry.ModuleRegistry;
import org.devhost.kernel.impl.supervisor.Supervisor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;

/** insmod, rmmod, lsmod and dev:restart over a fake framework: what is refused, and that a failed load leaves nothing. */
@Timeout(30)
class ModuleManagerComponentTest {
    @TempDir
    Path dir;

    private final FakeFramework fw = new FakeFramework();
    private final Params params = new Params();
    private KernelCore core;
    private Supervisor sup;
    private ModuleManagerComponent mm;
    /** What the next install of a location makes: the module name its bundle declares (null: no module). */
    private final Map<String, String> jars = new HashMap<>();

    /** Module parameters that only record what the manager asked. */
    private static final class Params implements ModuleParameters {
        final List<String> calls = new ArrayList<>();
        final Map<String, Map<String, Object>> store = new HashMap<>();

        @Override
        public List<Parameter> describe(String module) {
            return List.of();
        }

        @Override
        public Map<String, Object> get(String module) {
            return Map.of();
        }

        @Override
        public void set(String module, Map<String, String> values) {
            calls.add("set " + module + " " + values);
        }

        @Override
        public synchronized void load(String module, Map<String, String> values) {
            calls.add("load " + module + " " + values);
            store.put(module, new HashMap<>(values));
        }

        @Override
        public synchronized Map<String, Object> stored(String module) {
            return store.getOrDefault(module, Map.of());
        }

        @Override
        public synchronized void restore(String module, Map<String, Object> stored) {
            calls.add("restore " + module + " " + stored);
            store.put(module, new HashMap<>(stored));
        }
    }

    private void start() {
        core = fw.kernelCore();
        sup = new Supervisor(core, fw.scr, fw.context);
        FakeFramework.inject(sup, "events", fw.eventAdmin);
        mm = new ModuleManagerComponent(core, params, fw.scr, sup, null, fw.context);
        fw.installer = location -> {
            String name = jars.get(location);
            String bsn = location.substring(location.lastIndexOf('/') + 1).replace(".jar", "");
            FakeBundle b = fw.new FakeBundle("org.devhost.drivers." + bsn, location, name);
            if (name != null) {
                b.driver(core, r -> r.registerMisc(name, MiscDevice.DYNAMIC_MINOR, Kernel.openOnly()));
            }
            return b;
        };
    }

    @AfterEach
    void stop() {
        if (sup != null) {
            sup.deactivate();
        }
    }

    /** A driver jar on disk whose bundle is module {@code module} (null: a bundle that is no module). */
    private String jar(String file, String module) throws IOException {
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().putValue("Bundle-SymbolicName", "org.devhost.drivers." + file);
        mf.getMainAttributes().putValue("Bundle-Version", "1.0.0");
        if (module != null) { // as bnd writes @KernelModule (the module manager reads it before installing)
            mf.getMainAttributes().putValue("Provide-Capability", "devhost.module;devhost.module=" + module + ";license=GPL");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarOutputStream j = new JarOutputStream(out, mf)) {
            j.flush();
        }
        Path p = Files.write(dir.resolve(file + ".jar"), out.toByteArray());
        jars.put(p.toUri().toString(), module);
        return p.toString();
    }

    private FakeBundle bundleOf(String module) {
        return fw.bundles.stream().filter(b -> module.equals(b.module)).findFirst().orElseThrow();
    }

    private static Errno errno(Runnable r) {
        return assertThrows(KernelException.class, r::run).errno();
    }

    @Test
    void aLoadStartsTheModuleWithItsParametersAndReportsItLive() throws Exception {
        start();
        String jar = jar("scull", "scull");
        ModuleStatus s = mm.load(jar, Map.of("scull_quantum", "100"), null);
        FakeBundle b = bundleOf("scull");
        assertEquals("scull", s.name());
        assertEquals(ModuleStatus.State.LIVE, s.state());
        assertEquals(b.id, s.bundleId());
        assertEquals("org.devhost.drivers.scull", s.symbolicName());
        assertEquals("1.0.0", s.version());
        assertEquals(Path.of(jar).toUri().toString(), s.location());
        assertEquals(Files.size(Path.of(jar)), s.size());
        assertTrue(s.supervised());
        assertEquals(0, s.restarts());
        assertEquals(Bundle.ACTIVE, b.state);
        assertEquals(List.of("load scull {scull_quantum=100}"), params.calls);
        assertEquals(1, core.devices().size());

        assertEquals(Errno.EEXIST, errno(() -> mm.load(jar, null, null)));
        KernelException again = assertThrows(KernelException.class, () -> mm.load(jar, Map.of(), null));
        assertTrue(again.getMessage().startsWith(jar + " is already loaded as module scull (bundle " + b.id
                + "); unload it first (dev:rmmod)"), again.getMessage());
        assertEquals(1, b.starts.get(), "the running module is not touched");
        assertEquals(1, params.calls.size());
    }

    @Test
    void aLoadWhoseInitFailsLeavesNothingAndPutsTheParametersBack() throws Exception {
        start();
        params.store.put("bad", Map.of("old", "1"));
        String jar = jar("bad", "bad");
        fw.installer = wrap(fw.installer, b -> b.initFailure = "org.devhost.kernel.KernelException: bad: no memory (ENOMEM)");
        KernelException e = assertThrows(KernelException.class, () -> mm.load(jar, Map.of("x", "2"), null));
        assertEquals(Errno.ENOMEM, e.errno());
        assertTrue(e.getMessage().startsWith("bad: init failed: bad: no memory (ENOMEM); unloaded"), e.getMessage());
        assertTrue(fw.bundles.stream().noneMatch(b -> "bad".equals(b.module)), "the bundle is uninstalled");
        assertEquals(List.of("load bad {x=2}", "restore bad {old=1}"), params.calls);
        assertTrue(core.devices().isEmpty());
    }

    /** An installer that also adjusts each bundle it makes. */
    private static FakeFramework.Installer wrap(FakeFramework.Installer inner, java.util.function.Consumer<FakeBundle> adjust) {
        return location -> {
            FakeBundle b = inner.install(location);
            adjust.accept(b);
            return b;
        };
    }

    @Test
    void whatIsNoDriverModuleOrCannotBeInstalledIsRefusedAndNothingStays() throws Exception {
        start();
        String lib = jar("lib", null);
        KernelException notModule = assertThrows(KernelException.class, () -> mm.load(lib, null, null));
        assertEquals(Errno.EINVAL, notModule.errno());
        assertTrue(notModule.getMessage().startsWith(lib + ": bundle org.devhost.drivers.lib is not a driver module"
                + " (no @KernelModule); nothing was loaded"), notModule.getMessage());
        assertTrue(fw.bundles.stream().noneMatch(b -> b.symbolicName.equals("org.devhost.drivers.lib")));
        assertTrue(params.calls.isEmpty(), "no parameters touched for what is no module");

        String raw = jar("raw", null);
        fw.installer = location -> fw.new FakeBundle(null, location, null);
        KernelException notBundle = assertThrows(KernelException.class, () -> mm.load(raw, null, null));
        assertEquals(Errno.EINVAL, notBundle.errno());
        assertTrue(notBundle.getMessage().startsWith(raw + ": not an OSGi bundle; nothing was loaded"), notBundle.getMessage());

        String dup = jar("dup", "dup");
        fw.installer = location -> {
            throw new BundleException("taken", BundleException.DUPLICATE_BUNDLE_ERROR);
        };
        KernelException duplicate = assertThrows(KernelException.class, () -> mm.load(dup, null, null));
        assertEquals(Errno.EEXIST, duplicate.errno());
        assertTrue(duplicate.getMessage().startsWith(dup + ": cannot install it (taken)"), duplicate.getMessage());
        fw.installer = location -> {
            throw new BundleException("broken manifest");
        };
        assertEquals(Errno.EINVAL, errno(() -> mm.load(dup, null, null)));
    }

    @Test
    void anIsolationPolicyThatIsNoneOfItsWordsIsRefusedBeforeAnythingIsInstalled() throws Exception {
        start();
        String jar = jar("scull", "scull");
        sup.addPolicy(FakeFramework.policy("scull", "isolation", "proccess"));
        KernelException e = assertThrows(KernelException.class, () -> mm.load(jar, Map.of("scull_quantum", "100"), null));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("isolation=proccess, which is none of process, none"), e.getMessage());
        assertTrue(fw.bundles.stream().noneMatch(b -> "org.devhost.drivers.scull".equals(b.symbolicName)), "nothing installed");
        assertTrue(params.calls.isEmpty(), "no parameters touched");
    }

    @Test
    void aSecondBundleOfALoadedModuleIsRefusedAndOneTheSupervisorGaveUpOnIsReplaced() throws Exception {
        start();
        FakeBundle other = fw.new FakeBundle("org.other.scull", "file:/other/scull.jar", "scull");
        other.driver(core, r -> { });
        other.bundle.start();
        String jar = jar("scull", "scull");
        KernelException e = assertThrows(KernelException.class, () -> mm.load(jar, null, null));
        assertEquals(Errno.EEXIST, e.errno());
        assertTrue(e.getMessage().startsWith("module scull is already loaded (bundle " + other.id
                + ", file:/other/scull.jar); unload it first (dev:rmmod scull)"), e.getMessage());
        assertEquals(List.of(other), fw.bundles.stream().filter(b -> "scull".equals(b.module)).toList(),
                "the new bundle is gone again; the loaded one is untouched");
        assertEquals(Bundle.ACTIVE, other.state);

        giveUp("scull", other);
        ModuleStatus s = mm.load(jar, null, null);
        assertEquals(ModuleStatus.State.LIVE, s.state());
        assertEquals(1, other.uninstalls.get(), "the module that was down is replaced");
        assertTrue(fw.refreshed.stream().anyMatch(r -> r.contains(other.bundle)));
        assertTrue(fw.logged("INFO scull: unloaded while down (restarting or failed)"), fw.log.toString());
    }

    /** Makes the supervisor give up on {@code module} (no restarts allowed) and waits until it has. */
    private void giveUp(String module, FakeBundle b) throws InterruptedException {
        sup.addPolicy(FakeFramework.policy(module, "fault_threshold", 1, "max_restarts", 0));
        sup.crash(module, "hang", "test", "test", "HUNG");
        Parked.until(() -> fw.moduleEvents(module).contains("FAILED") && b.state == Bundle.RESOLVED);
    }

    @Test
    void anUnloadIsRefusedWhileTheModuleIsInUseUnlessForced() throws Exception {
        start();
        assertEquals(Errno.EINVAL, errno(() -> mm.unload(null, false)));
        KernelException none = assertThrows(KernelException.class, () -> mm.unload("nope", false));
        assertEquals(Errno.ENOENT, none.errno());
        assertTrue(none.getMessage().startsWith("Module nope is not currently loaded"), none.getMessage());

        mm.load(jar("scull", "scull"), null, null);
        FakeBundle scull = bundleOf("scull");
        OpenFile f = new ModuleRegistry(new ModuleContext("user", core.table())).open("scull", OpenFlags.O_RDONLY);
        assertEquals(1, mm.module("scull").openFiles());
        KernelException busy = assertThrows(KernelException.class, () -> mm.unload("scull", false));
        assertEquals(Errno.EBUSY, busy.errno());
        assertTrue(busy.getMessage().startsWith("Module scull is in use (1 open file(s)); use -f to unload it anyway"),
                busy.getMessage());
        FakeBundle user = fw.module("user_of_scull");
        scull.users.add(user);
        KernelException both = assertThrows(KernelException.class, () -> mm.unload("scull", false));
        assertTrue(both.getMessage().startsWith("Module scull is in use (1 open file(s), used by user_of_scull); use -f"),
                both.getMessage());
        assertEquals(List.of("user_of_scull"), mm.module("scull").users());
        f.close();
        KernelException users = assertThrows(KernelException.class, () -> mm.unload("scull", false));
        assertTrue(users.getMessage().startsWith("Module scull is in use (used by user_of_scull); use -f"), users.getMessage());
        assertEquals(Bundle.ACTIVE, scull.state);

        OpenFile g = new ModuleRegistry(new ModuleContext("user2", core.table())).open("scull", OpenFlags.O_RDONLY);
        mm.unload("scull", true);
        assertEquals(1, scull.uninstalls.get());
        assertTrue(fw.refreshed.stream().anyMatch(r -> r.contains(scull.bundle)), "the old class loader is dropped now");
        assertTrue(core.devices().isEmpty());
        assertEquals(Errno.ENODEV, errno(() -> g.read(ByteBuffer.allocate(1))));
        assertEquals(Errno.ENOENT, errno(() -> mm.module("scull")));
    }

    @Test
    void aStoppedBundleIsNotLoadedAndAModuleThatIsDownIsUnloadedAsItIs() throws Exception {
        start();
        FakeBundle stopped = fw.module("stopped");
        KernelException e = assertThrows(KernelException.class, () -> mm.unload("stopped", false));
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().contains("bundle " + stopped.id + " is installed but stopped"), e.getMessage());
        assertEquals(ModuleStatus.State.STOPPED, mm.module("stopped").state());

        mm.load(jar("down", "down"), null, null);
        FakeBundle down = bundleOf("down");
        giveUp("down", down);
        assertEquals(ModuleStatus.State.FAILED, mm.module("down").state());
        mm.unload("down", false);
        assertEquals(1, down.uninstalls.get());
        assertTrue(fw.logged("INFO down: unloaded while down"), fw.log.toString());
    }

    @Test
    void lsmodListsModulesByNameAndHealthCountsWhatNeedsAttention() throws Exception {
        start();
        mm.load(jar("zeta", "zeta"), null, null);
        mm.load(jar("alpha", "alpha"), null, null);
        fw.plain("org.example.lib");
        mm.load(jar("mid", "mid"), null, null);
        assertEquals(List.of("alpha", "mid", "zeta"), mm.modules().stream().map(ModuleStatus::name).toList());
        ModuleManager.Health ok = mm.health();
        assertTrue(ok.healthy());
        assertEquals(3, ok.live());
        assertTrue(ok.attention().isEmpty());

        giveUp("mid", bundleOf("mid"));
        ModuleManager.Health bad = mm.health();
        assertFalse(bad.healthy());
        assertEquals(2, bad.live());
        assertEquals(1, bad.failed());
        assertEquals(0, bad.restarting());
        assertEquals(List.of("mid"), bad.attention().stream().map(ModuleStatus::name).toList());
    }

    @Test
    void aModuleIsFoundByNameOrBundleId() throws Exception {
        start();
        mm.load(jar("scull", "scull"), null, null);
        long id = bundleOf("scull").id;
        assertEquals("scull", mm.module("scull").name());
        assertEquals("scull", mm.module(Long.toString(id)).name());
        assertEquals(Errno.ENOENT, errno(() -> mm.module("999")));
        assertEquals(Errno.ENOENT, errno(() -> mm.module(Long.toString(fw.kernel.id))), "the kernel is no module");
        KernelException none = assertThrows(KernelException.class, () -> mm.module("nope"));
        assertTrue(none.getMessage().startsWith("module nope not found"), none.getMessage());
        assertEquals(Errno.EINVAL, errno(() -> mm.module(null)));
        assertEquals(Errno.EINVAL, errno(() -> mm.restart(null)));
        assertEquals(Errno.ENOENT, errno(() -> mm.restart("nope")));
        mm.restart("scull");
        assertEquals(2, bundleOf("scull").starts.get(), "dev:restart starts it again");
        assertEquals(1, mm.module("scull").restarts());
    }

    @Test
    void aLoadWhoseInitNeverReturnsIsEtimedoutAndUndoneWhenTheInitReturnsAtLast() throws Exception {
        // the stuck step costs this once; every other step must end within it even on a loaded machine
        fw.properties.put(LifecycleSteps.TIMEOUT_PROPERTY, "2000");
        start();
        CountDownLatch release = new CountDownLatch(1);
        String jar = jar("slow", "slow");
        fw.installer = wrap(fw.installer, b -> b.onStart = () -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        KernelException e = assertThrows(KernelException.class, () -> mm.load(jar, Map.of("a", "1"), null));
        assertEquals(Errno.ETIMEDOUT, e.errno());
        FakeBundle slow = bundleOf("slow");
        assertEquals(0, slow.uninstalls.get(), "the framework's start still holds the bundle");
        assertEquals(Errno.EBUSY, errno(() -> mm.unload("slow", true)));
        assertEquals(Errno.EBUSY, errno(() -> mm.load(jar, null, null)));

        release.countDown();
        Parked.until(() -> fw.logged("INFO slow: the load whose init ran past its deadline is undone"));
        assertEquals(1, slow.uninstalls.get());
        assertEquals(List.of("load slow {a=1}", "restore slow {}"), params.calls);
    }

    /**
     * lsmod during a restart: the framework's refresh leaves the old wiring out of use, and its
     * getProvidedWires is null; the module has no users to tell then, not a NullPointerException
     * (SupervisionIT's 200-cycle test met it in CI, asking for a module's status mid-refresh).
     */
    @Test
    void aBundleWhoseWiringIsBeingRefreshedHasNoUsers() {
        org.osgi.framework.wiring.BundleWiring stale = (org.osgi.framework.wiring.BundleWiring) java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {org.osgi.framework.wiring.BundleWiring.class},
                (proxy, method, args) -> method.getName().equals("isInUse") ? false : null);
        Bundle refreshing = (Bundle) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Bundle.class},
                (proxy, method, args) -> method.getName().equals("adapt") ? stale : null);
        assertEquals(List.of(), ModuleManagerComponent.users(refreshing));
    }
}
