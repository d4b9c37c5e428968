package org.devhost.kernel.impl;

import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.devhost.kernel.KernelModule;
import org.devhost.kernel.impl.chrdev.ModuleContext;
import org.devhost.kernel.impl.lifecycle.LifecycleSteps;
import org.devhost.kernel.impl.registry.KernelCore;
import org.devhost.kernel.impl.registry.ModuleRegistry;
import org.devhost.kernel.impl.supervisor.SupervisionPolicy;
import org.devhost.kernel.impl.supervisor.SupervisionPolicyConfig;
import org.devhost.kernel.impl.supervisor.Supervisor;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleException;
import org.osgi.framework.BundleListener;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.Version;
import org.osgi.framework.dto.BundleDTO;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

/**
 * Just enough of a framework, SCR, Event Admin and the Log Service for the kernel's components,
 * without Felix: bundles that start (running a driver's init), stop (its drop), refresh and
 * uninstall, with what each call did recorded for the test to check. The itests run the same
 * components in a real Felix; these fakes let a unit test reach every branch in milliseconds.
 *
 * <p>Thread-safe where the components use it from their own threads (the supervisor's, a step's).
 */
public final class FakeFramework {
    /** Every event posted or sent, in order. */
    public final List<Event> events = new CopyOnWriteArrayList<>();
    /** Every line logged through {@link #loggers}: "LEVEL logger: message". */
    public final List<String> log = new CopyOnWriteArrayList<>();
    /** Every service registered through the context, with its properties. */
    public final List<Registered> services = new CopyOnWriteArrayList<>();
    /** Every refreshBundles call: the bundles it was given. */
    public final List<Collection<Bundle>> refreshed = new CopyOnWriteArrayList<>();
    public final Map<String, String> properties = new HashMap<>();
    public final List<BundleListener> listeners = new CopyOnWriteArrayList<>();
    public final List<FakeBundle> bundles = new CopyOnWriteArrayList<>();
    /** What installBundle does with a location; by default it refuses. */
    public volatile Installer installer = location -> {
        throw new BundleException("no bundle at " + location);
    };

    /** installBundle's answer for a location. */
    public interface Installer {
        FakeBundle install(String location) throws BundleException;
    }
    public final AtomicInteger ungets = new AtomicInteger();
    /** How often SCR was asked about a bundle's components. */
    public final AtomicInteger scrQueries = new AtomicInteger();

    private final AtomicLong ids = new AtomicLong();
    final FakeBundle system = new FakeBundle("org.apache.felix.framework", "System Bundle", null);
    public final FakeBundle kernel = new FakeBundle("org.devhost.kernel", "file:/kernel.jar", null);
    /** The kernel bundle's context: what the components are activated with. */
    public final BundleContext context = proxy(BundleContext.class, (p, m, a) -> switch (m.getName()) {
        case "getProperty" -> properties.get((String) a[0]);
        case "getBundles" -> bundles.stream().map(b -> b.bundle).toArray(Bundle[]::new);
        case "getBundle" -> a == null || a.length == 0 ? kernel.bundle
                : bundles.stream().filter(b -> a[0] instanceof Long id ? b.id == id : b.location.equals(a[0]))
                        .map(b -> b.bundle).findFirst().orElse(null);
        case "addBundleListener" -> listeners.add((BundleListener) a[0]);
        case "removeBundleListener" -> listeners.remove((BundleListener) a[0]);
        case "registerService" -> register(a[1], (Dictionary<?, ?>) a[2]);
        case "installBundle" -> install((String) a[0], a.length > 1 ? (InputStream) a[1] : null);
        case "getService" -> ((FakeReference) Proxy.getInvocationHandler(a[0])).service;
        case "ungetService" -> ungets.incrementAndGet() > 0;
        case "getDataFile" -> null; // a framework without storage (the OSGi answer then)
        default -> standard(p, m.getName(), a, "context");
    });
    public final ServiceComponentRuntime scr = proxy(ServiceComponentRuntime.class, (p, m, a) -> switch (m.getName()) {
        case "getComponentDescriptionDTOs" -> descriptions((Bundle[]) a[0]);
        case "getComponentConfigurationDTOs" -> configurations((ComponentDescriptionDTO) a[0]);
        default -> standard(p, m.getName(), a, "scr");
    });
    public final EventAdmin eventAdmin = proxy(EventAdmin.class, (p, m, a) -> switch (m.getName()) {
        case "postEvent", "sendEvent" -> events.add((Event) a[0]);
        default -> standard(p, m.getName(), a, "event admin");
    });
    final LoggerFactory loggers = proxy(LoggerFactory.class, (p, m, a) -> switch (m.getName()) {
        case "getLogger" -> logger((String) a[0]);
        default -> standard(p, m.getName(), a, "logger factory");
    });
    private final FrameworkWiring wiring = proxy(FrameworkWiring.class, (p, m, a) -> switch (m.getName()) {
        case "refreshBundles" -> {
            refreshed.add(List.copyOf((Collection<Bundle>) a[0]));
            if (a.length > 1 && a[1] != null) {
                for (FrameworkListener l : (FrameworkListener[]) a[1]) {
                    l.frameworkEvent(new FrameworkEvent(FrameworkEvent.PACKAGES_REFRESHED, system.bundle, null));
                }
            }
            yield null;
        }
        default -> standard(p, m.getName(), a, "wiring");
    });

    public FakeFramework() {
        system.state = Bundle.ACTIVE;
        kernel.state = Bundle.ACTIVE;
    }

    /** A driver module's bundle, installed and resolved (not started). */
    public FakeBundle module(String name) {
        return new FakeBundle("org.devhost.drivers." + name, "file:/drivers/" + name + ".jar", name);
    }

    /** A bundle that is no driver module. */
    public FakeBundle plain(String symbolicName) {
        return new FakeBundle(symbolicName, "file:/" + symbolicName + ".jar", null);
    }

    /** A kernel on this framework: KernelCore activated with the kernel bundle's context, events and log wired. */
    public KernelCore kernelCore() {
        KernelCore core = new KernelCore();
        inject(core, "events", eventAdmin);
        inject(core, "loggers", loggers);
        core.activate(context);
        return core;
    }

    /** Events posted under {@code topic}. */
    public List<Event> events(String topic) {
        return events.stream().filter(e -> e.getTopic().equals(topic)).toList();
    }

    /** Topics of the supervisor's events for {@code module}, in order (CRASHED, RESTARTING, ...). */
    public List<String> moduleEvents(String module) {
        return events.stream().filter(e -> e.getTopic().startsWith(Supervisor.TOPIC) && module.equals(e.getProperty("module")))
                .map(e -> e.getTopic().substring(Supervisor.TOPIC.length())).toList();
    }

    /** Whether a line containing {@code text} was logged. */
    public boolean logged(String text) {
        return log.stream().anyMatch(l -> l.contains(text));
    }

    /**
     * A supervision policy for {@code module} as Configuration Admin hands it over: quick defaults
     * for tests (5 faults a minute, no watchdog, 5 restarts a minute, back-off 1 ms doubling up to
     * 4 ms), with {@code values} (name, value, name, value ...) on top.
     */
    public static SupervisionPolicyConfig policy(String module, Object... values) {
        Map<String, Object> v = new HashMap<>(Map.of("module", module, "enabled", true, "fault_threshold", 5,
                "fault_window_ms", 60_000L, "watchdog_ms", 0L, "max_restarts", 5, "restart_window_ms", 60_000L,
                "backoff_initial_ms", 1L, "backoff_max_ms", 4L, "healthy_after_ms", 60_000L));
        v.put("isolation", "");
        v.put("isolation_heap", "");
        for (int i = 0; i < values.length; i += 2) {
            v.put((String) values[i], values[i + 1]);
        }
        SupervisionPolicy p = proxy(SupervisionPolicy.class,
                (proxy, m, a) -> v.containsKey(m.getName()) ? v.get(m.getName()) : standard(proxy, m.getName(), a, "policy"));
        return new SupervisionPolicyConfig(p);
    }

    /** Sets a field a component gets by field injection (@Reference on a private field). */
    public static void inject(Object target, String field, Object value) {
        try {
            Field f = target.getClass().getDeclaredField(field);
            f.setAccessible(true);
            f.set(target, value);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /** A service reference as the framework hands it to a DS reference method. */
    public <S> ServiceReference<S> reference(FakeBundle from, S service, Map<String, Object> props) {
        FakeReference r = new FakeReference(from, service, props);
        @SuppressWarnings("unchecked")
        ServiceReference<S> ref = proxy(ServiceReference.class, r);
        return ref;
    }

    /** One registerService call. */
    public static final class Registered {
        public final Object service;
        public final Dictionary<?, ?> properties;
        public volatile boolean unregistered;

        public Registered(Object service, Dictionary<?, ?> properties) {
            this.service = service;
            this.properties = properties;
        }
    }

    /** A bundle of the fake framework; {@link #bundle} is what the components see. */
    public final class FakeBundle {
        public final long id;
        public final String symbolicName;
        final String location;
        /** The {@link KernelModule} name, or null for a bundle that is no driver. */
        public final String module;
        public final Bundle bundle;
        public volatile int state = Bundle.RESOLVED;
        /** The driver's init, run by start (inside the framework's start, as SCR does). */
        public volatile LifecycleSteps.Step onStart = () -> { };
        /** The driver's drop, run by stop. */
        public volatile LifecycleSteps.Step onStop = () -> { };
        /** Non-null: the bundle starts, but its component fails activation with this trace (SCR's failure text). */
        public volatile String initFailure;
        /** SCR's view of the bundle's one component: a ComponentConfigurationDTO state, or 0 for none. */
        public volatile int componentState;
        public volatile boolean immediate = true;
        public final AtomicInteger starts = new AtomicInteger();
        public final AtomicInteger stops = new AtomicInteger();
        public final AtomicInteger uninstalls = new AtomicInteger();
        /** The module's read-only parameters (its {@link KernelModule#READONLY} attribute). */
        public final List<String> readonly = new CopyOnWriteArrayList<>();
        /** Bundles wired to packages this one exports (lsmod's "Used by"). */
        public final List<FakeBundle> users = new CopyOnWriteArrayList<>();
        /** The registry the driver got at its last start ({@link #driver}). */
        volatile ModuleRegistry registry;
        private volatile ModuleContext context;

        public FakeBundle(String symbolicName, String location, String module) {
            this.id = ids.getAndIncrement();
            this.symbolicName = symbolicName;
            this.location = location;
            this.module = module;
            this.bundle = proxy(Bundle.class, this::invoke);
            bundles.add(this);
        }

        /**
         * Makes start and stop do what SCR does for a driver component: start attaches the bundle
         * to the kernel (its registry) and runs {@code init}; stop releases the registry.
         */
        public FakeBundle driver(KernelCore core, Consumer<ModuleRegistry> init) {
            onStart = () -> {
                context = core.attach(bundle);
                registry = new ModuleRegistry(context);
                init.accept(registry);
            };
            onStop = () -> {
                ModuleContext c = context;
                context = null;
                if (c != null) {
                    core.detach(bundle, c);
                }
            };
            return this;
        }

        private Object invoke(Object p, java.lang.reflect.Method m, Object[] a) throws Exception {
            switch (m.getName()) {
                case "getBundleId":
                    return id;
                case "getSymbolicName":
                    return symbolicName;
                case "getLocation":
                    return location;
                case "getState":
                    return state;
                case "getVersion":
                    return new Version(1, 0, 0);
                case "getBundleContext":
                    return FakeFramework.this.context;
                case "getHeaders":
                    return new Hashtable<String, String>();
                case "adapt":
                    return adapt((Class<?>) a[0]);
                case "start":
                    start();
                    return null;
                case "stop":
                    stop();
                    return null;
                case "uninstall":
                    uninstall();
                    return null;
                default:
                    return standard(p, m.getName(), a, "bundle " + symbolicName);
            }
        }

        private Object adapt(Class<?> type) {
            if (type == FrameworkWiring.class) {
                return wiring;
            }
            if (type == BundleWiring.class) {
                List<BundleWire> wires = new ArrayList<>();
                for (FakeBundle u : users) {
                    BundleRevision requirer = proxy(BundleRevision.class, (p, m, a) -> switch (m.getName()) {
                        case "getBundle" -> u.bundle;
                        default -> standard(p, m.getName(), a, "revision of " + u.symbolicName);
                    });
                    wires.add(proxy(BundleWire.class, (p, m, a) -> switch (m.getName()) {
                        case "getRequirer" -> requirer;
                        default -> standard(p, m.getName(), a, "wire");
                    }));
                }
                return proxy(BundleWiring.class, (p, m, a) -> switch (m.getName()) {
                    case "getProvidedWires" -> wires;
                    default -> standard(p, m.getName(), a, "wiring of " + symbolicName);
                });
            }
            if (type == BundleRevision.class) { // kept after an uninstall, until a refresh (as Felix does)
                BundleCapability cap = proxy(BundleCapability.class, (p, m, a) -> switch (m.getName()) {
                    case "getAttributes" -> Map.of(KernelModule.NAMESPACE, module, KernelModule.READONLY, List.copyOf(readonly));
                    case "getNamespace" -> KernelModule.NAMESPACE;
                    default -> standard(p, m.getName(), a, "capability");
                });
                return proxy(BundleRevision.class, (p, m, a) -> switch (m.getName()) {
                    case "getDeclaredCapabilities" -> module != null && KernelModule.NAMESPACE.equals(a[0]) ? List.of(cap) : List.of();
                    case "getSymbolicName" -> symbolicName;
                    default -> standard(p, m.getName(), a, "revision");
                });
            }
            return null;
        }

        synchronized void start() throws BundleException {
            if (state == Bundle.UNINSTALLED) {
                throw new IllegalStateException(symbolicName + " is uninstalled");
            }
            if (state == Bundle.ACTIVE) {
                return;
            }
            state = Bundle.STARTING;
            starts.incrementAndGet();
            try {
                onStart.run();
            } catch (BundleException | RuntimeException e) {
                state = Bundle.RESOLVED;
                throw e;
            }
            state = Bundle.ACTIVE;
            componentState = initFailure == null ? ComponentConfigurationDTO.ACTIVE : ComponentConfigurationDTO.FAILED_ACTIVATION;
        }

        synchronized void stop() throws BundleException {
            if (state != Bundle.ACTIVE && state != Bundle.STARTING) {
                return;
            }
            state = Bundle.STOPPING;
            stops.incrementAndGet();
            try {
                onStop.run();
            } finally {
                state = Bundle.RESOLVED;
                componentState = 0;
            }
        }

        void uninstall() throws BundleException {
            if (state == Bundle.UNINSTALLED) {
                throw new IllegalStateException(symbolicName + " is uninstalled already");
            }
            stop();
            uninstalls.incrementAndGet();
            state = Bundle.UNINSTALLED;
            bundles.remove(this);
            for (BundleListener l : listeners) {
                l.bundleChanged(new BundleEvent(BundleEvent.UNINSTALLED, bundle));
            }
        }
    }

    private Object install(String location, InputStream in) throws BundleException {
        FakeBundle b = installer.install(location);
        return b.bundle;
    }

    private ServiceRegistration<?> register(Object service, Dictionary<?, ?> props) {
        Registered r = new Registered(service, props);
        services.add(r);
        return proxy(ServiceRegistration.class, (p, m, a) -> switch (m.getName()) {
            case "unregister" -> {
                if (r.unregistered) {
                    throw new IllegalStateException("unregistered already");
                }
                r.unregistered = true;
                yield null;
            }
            default -> standard(p, m.getName(), a, "registration");
        });
    }

    private Collection<ComponentDescriptionDTO> descriptions(Bundle[] of) {
        scrQueries.incrementAndGet();
        List<ComponentDescriptionDTO> out = new ArrayList<>();
        for (Bundle b : of) {
            for (FakeBundle f : bundles) {
                if (f.bundle == b && f.module != null) {
                    ComponentDescriptionDTO d = new ComponentDescriptionDTO();
                    d.name = f.module;
                    d.immediate = f.immediate;
                    d.bundle = new BundleDTO();
                    d.bundle.id = f.id;
                    out.add(d);
                }
            }
        }
        return out;
    }

    private Collection<ComponentConfigurationDTO> configurations(ComponentDescriptionDTO d) {
        for (FakeBundle f : bundles) {
            if (f.id == d.bundle.id && f.componentState != 0) {
                ComponentConfigurationDTO c = new ComponentConfigurationDTO();
                c.description = d;
                c.state = f.componentState;
                c.failure = f.componentState == ComponentConfigurationDTO.FAILED_ACTIVATION ? f.initFailure : null;
                return List.of(c);
            }
        }
        return List.of();
    }

    private Logger logger(String name) {
        return proxy(Logger.class, (p, m, a) -> {
            String level = switch (m.getName()) {
                case "error" -> "ERROR";
                case "warn" -> "WARN";
                case "info" -> "INFO";
                case "debug" -> "DEBUG";
                case "trace" -> "TRACE";
                case "audit" -> "AUDIT";
                default -> null;
            };
            if (level == null) {
                return m.getName().equals("getName") ? name : m.getName().startsWith("is") ? Boolean.TRUE
                        : standard(p, m.getName(), a, "logger");
            }
            Object message = a.length > 1 && a[1] instanceof Object[] args && args.length > 0 ? args[0]
                    : a.length > 1 ? a[1] : a[0];
            log.add(level + " " + name + ": " + message);
            return null;
        });
    }

    /** A ServiceReference's answers. */
    private static final class FakeReference implements InvocationHandler {
        final FakeBundle from;
        public final Object service;
        final Map<String, Object> props;

        FakeReference(FakeBundle from, Object service, Map<String, Object> props) {
            this.from = from;
            this.service = service;
            this.props = props;
        }

        @Override
        public Object invoke(Object p, java.lang.reflect.Method m, Object[] a) {
            return switch (m.getName()) {
                case "getBundle" -> from == null ? null : from.bundle;
                case "getProperty" -> props.get((String) a[0]);
                default -> standard(p, m.getName(), a, "reference");
            };
        }
    }

    @SuppressWarnings("unchecked")
    public static <T> T proxy(Class<?> type, InvocationHandler h) {
        return (T) Proxy.newProxyInstance(FakeFramework.class.getClassLoader(), new Class<?>[] {type}, h);
    }

    /** Object's methods for a proxy; anything else is a call the fake does not model. */
    public static Object standard(Object proxy, String method, Object[] args, String what) {
        return switch (method) {
            case "hashCode" -> System.identityHashCode(proxy);
            case "equals" -> proxy == args[0];
            case "toString" -> what;
            default -> throw new UnsupportedOperationException(what + ": " + method + " is not modelled by FakeFramework");
        };
    }
}
