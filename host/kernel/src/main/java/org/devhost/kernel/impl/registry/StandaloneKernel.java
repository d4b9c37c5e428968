package org.devhost.kernel.impl.registry;

import java.lang.reflect.Proxy;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.KernLevel;
import org.devhost.kernel.KernelLog;
import org.devhost.kernel.impl.chrdev.DeviceTable;
import org.devhost.kernel.impl.chrdev.KernelListener;
import org.devhost.kernel.impl.chrdev.ModuleContext;
import org.devhost.kernel.impl.log.KernelLogComponent;
import org.devhost.kernel.impl.log.LogRing;
import org.devhost.kernel.impl.wait.WaitQueueImpl;
import org.osgi.service.log.Logger;

/**
 * The kernel outside a framework: the same device table, modules and log ring, for unit tests of
 * drivers (through the exported kit, the exported {@code org.devhost.kernel.testing.TestKernel}) and for benchmarks. In the host the framework does this wiring (one registry per bundle,
 * the Log Service feeding the ring); here the caller does it.
 *
 * <pre>{@code
 * StandaloneKernel kernel = new StandaloneKernel();
 * DeviceRegistry driver = kernel.load("rust_chrdev");
 * ... construct the driver with driver and kernel.logger("rust_chrdev") ...
 * kernel.unload(driver);   // what a bundle stop does: everything it registered goes
 * }</pre>
 */
public final class StandaloneKernel {
    /** The class a caller parked in a kernel wait has on its stack (what the testing kit looks for). */
    public static final String WAIT_QUEUE_CLASS = WaitQueueImpl.class.getName();
    private final LogRing log = new LogRing(KernelLogComponent.CAPACITY, KernelLogComponent.CAPACITY_BYTES);
    private final DeviceTable table;

    public StandaloneKernel() {
        this(5000);
    }

    /** @param revokeTimeoutMillis the bounded wait of revocation */
    public StandaloneKernel(long revokeTimeoutMillis) {
        table = new DeviceTable(new KernelListener() {
            @Override
            public void log(String level, String module, String message, Throwable error) {
                log.add(System.currentTimeMillis(), switch (level) {
                    case "ERROR" -> KernLevel.ERR;
                    case "WARN" -> KernLevel.WARNING;
                    default -> KernLevel.INFO;
                }, module, message + (error == null ? "" : ": " + error));
            }
        }, revokeTimeoutMillis);
    }

    /** A registry for a new module, as a bundle gets one. */
    public DeviceRegistry load(String moduleName) {
        return new ModuleRegistry(new ModuleContext(moduleName, table));
    }

    /** Releases everything the module still holds, as when its bundle stops. */
    public void unload(DeviceRegistry module) {
        ((ModuleRegistry) module).context().release();
    }

    /** The kernel log ring. */
    public KernelLog log() {
        return log;
    }

    /**
     * An OSGi {@link Logger} that writes into the ring under {@code source}, formatting {@code {}}
     * placeholders as the Log Service does (enough for drivers' lines; not the full contract).
     */
    public Logger logger(String source) {
        return (Logger) Proxy.newProxyInstance(Logger.class.getClassLoader(), new Class<?>[] {Logger.class},
                (proxy, method, args) -> {
                    String name = method.getName();
                    switch (name) {
                        case "getName":
                            return source;
                        case "isTraceEnabled", "isDebugEnabled", "isInfoEnabled", "isWarnEnabled", "isErrorEnabled":
                            return true;
                        case "trace", "debug", "info", "warn", "error", "audit":
                            if (args != null && args.length > 0 && args[0] instanceof String format) {
                                log.add(System.currentTimeMillis(), level(name), source, format(format, args));
                            }
                            return null;
                        case "toString":
                            return "logger " + source;
                        case "hashCode":
                            return System.identityHashCode(proxy);
                        case "equals":
                            return proxy == args[0];
                        default:
                            return null;
                    }
                });
    }

    private static KernLevel level(String method) {
        return switch (method) {
            case "error" -> KernLevel.ERR;
            case "warn" -> KernLevel.WARNING;
            case "info" -> KernLevel.INFO;
            case "audit" -> KernLevel.NOTICE;
            default -> KernLevel.DEBUG;
        };
    }

    private static String format(String format, Object[] args) {
        StringBuilder sb = new StringBuilder();
        int arg = 1;
        Object[] values = args.length == 2 && args[1] instanceof Object[] varargs ? prepend(args[0], varargs) : args;
        int i = 0;
        while (i < format.length()) {
            if (format.startsWith("{}", i) && arg < values.length) {
                sb.append(values[arg++]);
                i += 2;
            } else {
                sb.append(format.charAt(i++));
            }
        }
        return sb.toString();
    }

    private static Object[] prepend(Object first, Object[] rest) {
        Object[] all = new Object[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }
}
