package org.devhost.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.devhost.fleet.proto.SparkplugB.Payload;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.ModuleManager;
import org.devhost.kernel.ModuleParameters;
import org.junit.jupiter.api.Test;

/**
 * Node commands as the module manager sees them: the same words as dev:insmod, dev:rmmod and
 * dev:restart, a pin required for every load, and every outcome one JSON line naming its request.
 */
class CommandsTest {
    private final List<String> calls = new ArrayList<>();
    private KernelException failWith;

    private final ModuleManager modules = (ModuleManager) Proxy.newProxyInstance(getClass().getClassLoader(),
            new Class<?>[] {ModuleManager.class}, (proxy, method, args) -> {
                calls.add(method.getName() + (args == null ? List.of() : List.of(args)));
                if (failWith != null) {
                    throw failWith;
                }
                if (method.getName().equals("load")) {
                    return new org.devhost.kernel.ModuleStatus("rust_miscdev", null, 31, "x", "1", "loc", 0,
                            org.devhost.kernel.ModuleStatus.State.LIVE, 0, List.of(), true, 0, 0, null);
                }
                return null;
            });

    private final ModuleParameters params = (ModuleParameters) Proxy.newProxyInstance(getClass().getClassLoader(),
            new Class<?>[] {ModuleParameters.class}, (proxy, method, args) -> {
                calls.add(method.getName() + (args == null ? List.of() : List.of(args)));
                if (failWith != null) {
                    throw failWith;
                }
                return null;
            });

    private static Commands.Request request(String command, String argument) {
        return new Commands.Request(command, argument, "r1");
    }

    @Test
    void aLoadPassesTheJarItsPinAndItsParametersToTheModuleManager() {
        Commands c = new Commands(modules, params, r -> {}, "t");
        String out = c.run(request("Load Module", " --sha256 abc  http://h/x.jar my_i32=7 "));
        assertEquals(List.of("load[http://h/x.jar, {my_i32=7}, abc]"), calls);
        assertEquals("{\"request\":\"r1\",\"command\":\"Load Module\",\"argument\":\" --sha256 abc  http://h/x.jar my_i32=7 \","
                + "\"result\":\"ok\",\"module\":\"rust_miscdev\"}", out);
        c.close();
    }

    @Test
    void aLoadWithoutAPinIsRefusedBeforeTheModuleManagerIsAsked() {
        Commands c = new Commands(modules, params, r -> {}, "t");
        String out = c.run(request("Load Module", "/opt/x.jar"));
        assertTrue(out.contains("\"result\":\"EACCES\""), out);
        assertTrue(calls.isEmpty(), "nothing loaded: " + calls);
        assertTrue(c.run(request("Load Module", "--sha256 abc")).contains("\"result\":\"EINVAL\""), "no jar");
        assertTrue(c.run(request("Load Module", "--sha256 abc x.jar oops")).contains("\"result\":\"EINVAL\""), "not name=value");
        assertTrue(calls.isEmpty(), calls.toString());
        c.close();
    }

    @Test
    void unloadAndRestartTakeTheShellsWords() {
        Commands c = new Commands(modules, params, r -> {}, "t");
        assertTrue(c.run(request("Unload Module", "-f scull")).contains("\"result\":\"ok\",\"module\":\"scull\""));
        c.run(request("Unload Module", "scull"));
        c.run(request("Restart Module", "faulty"));
        assertEquals(List.of("unload[scull, true]", "unload[scull, false]", "restart[faulty]"), calls);
        assertTrue(c.run(request("Unload Module", "-f")).contains("EINVAL"));
        assertTrue(c.run(request("Restart Module", "a b")).contains("EINVAL"));
        assertTrue(c.run(request("Restart Module", null)).contains("EINVAL"), "a value that is not a String");
        c.close();
    }

    @Test
    void setParametersGoesToTheParametersServiceAllAtOnce() {
        Commands c = new Commands(modules, params, r -> {}, "t");
        String out = c.run(request("Set Parameters", " rust_module_parameters  my_i32=7 my_str=x=y "));
        assertEquals(List.of("set[rust_module_parameters, {my_i32=7, my_str=x=y}]"), calls);
        assertTrue(out.contains("\"result\":\"ok\",\"module\":\"rust_module_parameters\""), out);
        assertTrue(c.run(request("Set Parameters", "rust_module_parameters")).contains("\"result\":\"EINVAL\""), "no value");
        assertTrue(c.run(request("Set Parameters", "m =1")).contains("\"result\":\"EINVAL\""), "no name");
        assertEquals(1, calls.size(), "nothing set for a malformed command: " + calls);
        failWith = new KernelException(Errno.EPERM, "parameter 'my_bool' of rust_module_parameters is read-only while it is loaded");
        out = c.run(request("Set Parameters", "rust_module_parameters my_bool=n"));
        assertTrue(out.contains("\"result\":\"EPERM\",\"message\":\"parameter 'my_bool'"), out);
        assertTrue(new Commands(modules, null, r -> {}, "t").run(request("Set Parameters", "m a=1")).contains("\"result\":\"ENODEV\""));
        c.close();
    }

    @Test
    void theModuleManagersErrnoAndMessageAreTheResult() {
        failWith = new KernelException(Errno.EBUSY, "Module scull is in use");
        Commands c = new Commands(modules, params, r -> {}, "t");
        String out = c.run(request("Unload Module", "scull"));
        assertTrue(out.contains("\"result\":\"EBUSY\",\"message\":\"Module scull is in use: Device or resource busy (EBUSY)\""), out);
        c.close();
    }

    @Test
    void anNcmdNamesItsRequestsAndARebirth() {
        Payload p = Payload.newBuilder()
                .addMetrics(Payloads.string(Payloads.UNLOAD, "-f scull"))
                .addMetrics(Payloads.string(Payloads.REQUEST, "job-7"))
                .addMetrics(Payloads.bool(Payloads.REBIRTH, true))
                .addMetrics(Payloads.string("Something/Else", "x"))
                .addMetrics(Payloads.int32(Payloads.RESTART, 3))
                .addMetrics(Payloads.string(Payloads.SET, "scull scull_quantum=100"))
                .build();
        assertTrue(Commands.rebirth(p));
        assertEquals(List.of(new Commands.Request("Unload Module", "-f scull", "job-7"),
                new Commands.Request("Restart Module", null, "job-7"),
                new Commands.Request("Set Parameters", "scull scull_quantum=100", "job-7")), Commands.requests(p));
        assertFalse(Commands.rebirth(Payload.newBuilder().addMetrics(Payloads.bool(Payloads.REBIRTH, false)).build()));
    }

    @Test
    void commandsBeyondTheQueueAreRefusedAtOnceWithEagain() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch running = new CountDownLatch(1);
        ModuleManager slow = (ModuleManager) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {ModuleManager.class},
                (proxy, method, args) -> {
                    running.countDown();
                    release.await(30, TimeUnit.SECONDS);
                    return null;
                });
        BlockingQueue<String> results = new ArrayBlockingQueue<>(64);
        Commands c = new Commands(slow, null, results::add, "t");
        c.submit(request("Restart Module", "m0"));
        assertTrue(running.await(30, TimeUnit.SECONDS), "the first command runs");
        for (int i = 1; i <= Commands.QUEUE; i++) {
            c.submit(request("Restart Module", "m" + i)); // these wait
        }
        c.submit(request("Restart Module", "one-too-many"));
        String refused = results.poll(30, TimeUnit.SECONDS);
        assertTrue(refused != null && refused.contains("one-too-many") && refused.contains("\"result\":\"EAGAIN\""), refused);
        release.countDown();
        for (int i = 0; i <= Commands.QUEUE; i++) {
            assertTrue(results.poll(30, TimeUnit.SECONDS).contains("\"result\":\"ok\""));
        }
        c.close();
    }
}
