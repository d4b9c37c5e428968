package org.devhost.kernel.impl.isolation;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.devhost.kernel.DeviceNumber;
import org.devhost.kernel.Errno;
import org.devhost.kernel.IoctlArg;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.ModuleInfo;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.Operation;
import org.devhost.kernel.impl.chrdev.ModuleContext;
import org.devhost.kernel.impl.chrdev.OpenFileImpl;
import org.devhost.kernel.impl.chrdev.Upstream;
import org.devhost.kernel.impl.lifecycle.ComponentStates;
import org.devhost.kernel.impl.registry.KernelCore;
import org.devhost.kernel.impl.registry.ModuleRegistry;
import org.devhost.kernel.impl.registry.Supervision;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogLevel;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;

/**
 * The kernel's side in an isolated module's process: connects to the host's socket (framework
 * property {@value #SOCKET_PROPERTY}, set only in a child), makes the host the {@link Upstream} of
 * this process's device table, serves the host's operations on this process's devices, and sends
 * the driver's log lines up. Does nothing in the host, where the property is absent.
 *
 * <p>Threads: one thread reads the host's requests at a time, and serves each on itself (no
 * hand-over between threads on a request's way, which on a small machine costs more than the
 * operation). An operation may block in the driver for as long as the driver likes (a spinning one
 * is the host's to kill): when one has run {@link #HANDOFF_NANOS} on the reading thread, the
 * watcher thread gives the reading to another thread of the pool, so the host's other requests,
 * its cancellations and its watchdog's questions are read while it blocks; the old reader ends its
 * operation and leaves. Writes to the socket are serialized on {@code out}. When the socket ends
 * (the host stopped, died or killed this module) the process halts at once: a child never
 * outlives its host's connection.
 */
@Component(service = Satellite.class, immediate = true)
public final class Satellite implements Upstream, LogListener, Supervision {
    /** Framework property of a child: the path of the host's socket. */
    public static final String SOCKET_PROPERTY = KernelCore.SATELLITE_PROPERTY;
    /** Framework property of a child: its module's name. */
    public static final String MODULE_PROPERTY = "devhost.isolation.module";
    /** How long a registration waits for the host's answer before it fails with ETIMEDOUT. */
    static final long HOST_ANSWER_MS = 10_000;

    private final KernelCore core;
    private final String module;
    private final boolean child;
    private final Map<Long, CompletableFuture<Wire.Frame>> asked = new ConcurrentHashMap<>();
    private final Map<Long, OpenFileImpl> files = new ConcurrentHashMap<>();
    /** The requests being served, by id. */
    private final Map<Long, Serving> running = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    /** How long an operation may run on the reading thread before another thread takes over the reading. */
    static final long HANDOFF_NANOS = 1_000_000;
    /** How long the watcher keeps looking after the last operation before it sleeps until the next. */
    private static final long WATCH_NANOS = 100_000_000;
    private static final long READING = Long.MIN_VALUE;
    /** The reading thread's state: {@link #READING}, or the {@link System#nanoTime} its operation began. */
    private final AtomicLong inline = new AtomicLong(READING);
    private volatile boolean watcherAsleep;
    private Thread watcher;
    private InputStream in;
    /** Threads that take over the reading from one blocked in an operation. */
    private final ExecutorService readers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "devhost satellite reader");
        t.setDaemon(true);
        return t;
    });
    private SocketChannel channel;
    private BundleContext context;
    private OutputStream out;
    private ModuleRegistry host;
    private ServiceComponentRuntime scr;

    @Activate
    public Satellite(@Reference KernelCore core, @Reference ServiceComponentRuntime scr, BundleContext context)
            throws IOException {
        this.core = core;
        String socket = context.getProperty(SOCKET_PROPERTY);
        this.module = context.getProperty(MODULE_PROPERTY);
        this.child = socket != null;
        this.context = context;
        if (!child) {
            return;
        }
        channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(Path.of(socket)));
        out = new BufferedOutputStream(Wire.output(channel), 1 << 16);
        // the host's opens come through a module of their own, as another module's would
        host = new ModuleRegistry(new ModuleContext("host", core.table()));
        in = new BufferedInputStream(Wire.input(channel), 1 << 16);
        watcher = new Thread(this::watch, "devhost satellite watcher");
        watcher.setDaemon(true);
        watcher.start();
        readers.execute(this::read);
        ask(Wire.HELLO, new Wire.Out().l(ProcessHandle.current().pid()).s(module == null ? "" : module));
        core.table().upstream(this);
        core.supervisor(this); // the driver's faults are the host's to count
        this.scr = scr;
    }

    /**
     * Starts the driver on a thread of its own. Not from the constructor: SCR binds the dynamic
     * references ({@link #parameters} among them) after the constructor returns and before this,
     * and a driver started before then would init without the parameters the host stored for it.
     */
    @Activate
    void activate() {
        if (!child) {
            return;
        }
        String driver = context.getProperty(ChildMain.DRIVER_PROPERTY);
        Thread init = new Thread(() -> startDriver(context, scr, driver), "devhost satellite init");
        init.setDaemon(true);
        init.start();
    }

    /** Starts the driver, now that the host grants its numbers, and tells the host how its init ended. */
    private void startDriver(BundleContext context, ServiceComponentRuntime scr, String location) {
        String failure;
        try {
            Bundle b = context.getBundle(location);
            if (b == null) {
                failure = "no driver bundle at " + location;
            } else {
                applyParameters();
                b.start();
                // SCR takes the bundle's components up on its own thread: wait until it knows them,
                // or awaitInit would find nothing to wait for and READY would come before the devices
                long bound = System.nanoTime() + org.devhost.kernel.ModuleManager.INIT_WAIT_MS * 1_000_000L;
                while (b.getHeaders().get("Service-Component") != null && scr.getComponentDescriptionDTOs(b).isEmpty()
                        && System.nanoTime() < bound) {
                    Thread.sleep(5);
                }
                failure = ComponentStates.awaitInit(scr, b);
                // A reference left unsatisfied here, for a service whose package a bundle of this
                // process exports, is a service on its way (the HAL's component comes up on SCR's
                // thread, a moment after its bundle started), not a missing one as it may be in the
                // host: READY now would let the host answer the load before the driver's devices exist
                while (failure == null && waitsForAServiceOnItsWay(scr, b) && System.nanoTime() < bound) {
                    Thread.sleep(5);
                    failure = ComponentStates.awaitInit(scr, b);
                }
            }
        } catch (Exception e) {
            failure = String.valueOf(e);
        }
        started(failure == null ? "" : failure);
    }

    /** Whether a component of {@code b} is unsatisfied only for services whose packages a bundle here exports. */
    private boolean waitsForAServiceOnItsWay(ServiceComponentRuntime scr, Bundle b) {
        java.util.Set<String> exported = new java.util.HashSet<>();
        for (Bundle x : context.getBundles()) {
            org.osgi.framework.wiring.BundleWiring w = x.adapt(org.osgi.framework.wiring.BundleWiring.class);
            if (w != null && x != b) {
                for (var c : w.getCapabilities(org.osgi.framework.namespace.PackageNamespace.PACKAGE_NAMESPACE)) {
                    exported.add(String.valueOf(c.getAttributes().get(org.osgi.framework.namespace.PackageNamespace.PACKAGE_NAMESPACE)));
                }
            }
        }
        for (var d : scr.getComponentDescriptionDTOs(b)) {
            for (var c : scr.getComponentConfigurationDTOs(d)) {
                if (c.state != org.osgi.service.component.runtime.dto.ComponentConfigurationDTO.UNSATISFIED_REFERENCE) {
                    continue;
                }
                boolean onItsWay = true; // none named: SCR is between a service's arrival and the component's start
                for (var u : c.unsatisfiedReferences) {
                    String type = java.util.Arrays.stream(d.references).filter(r -> r.name.equals(u.name))
                            .map(r -> r.interfaceName).findFirst().orElse("");
                    int dot = type.lastIndexOf('.');
                    onItsWay &= dot > 0 && exported.contains(type.substring(0, dot));
                }
                if (onItsWay) {
                    return true;
                }
            }
        }
        return false;
    }

    @Deactivate
    void deactivate() {
        if (child) {
            Runtime.getRuntime().halt(0); // the framework stops: so does the module's process
        }
    }

    /** Whether this kernel runs in an isolated module's process. */
    public boolean isChild() {
        return child;
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile org.devhost.kernel.ModuleParameters parameters;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile org.devhost.kernel.KernelLog kernelLog;

    /** The parameters the host stored for the module (insmod's name=value, a .cfg) become this process's, before init. */
    private void applyParameters() throws IOException {
        long id = ids.incrementAndGet();
        CompletableFuture<Wire.Frame> answer = new CompletableFuture<>();
        asked.put(id, answer);
        String text;
        try {
            send(Wire.PARAMS, id, new byte[0]);
            DataInputStream in = answer.get(HOST_ANSWER_MS, TimeUnit.MILLISECONDS).in();
            in.readLong();
            text = new String(Wire.bytes(in, Wire.MAX_IO), java.nio.charset.StandardCharsets.UTF_8);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new IOException("the host did not give the module's parameters: " + e);
        } finally {
            asked.remove(id);
        }
        Map<String, String> values = new java.util.LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                values.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        org.devhost.kernel.ModuleParameters p = parameters;
        if (!values.isEmpty() && p == null) {
            throw new IOException("the module's parameters cannot be applied: the kernel's ModuleParameters service is not running");
        }
        if (!values.isEmpty()) {
            p.load(module, values);
        }
    }

    /** Applies the host's configurations one at a time, in the order they came. */
    private final ExecutorService configs = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "devhost satellite configuration");
        t.setDaemon(true);
        return t;
    });

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile org.osgi.service.cm.ConfigurationAdmin configAdmin;

    /**
     * A configuration the host sent ({@link Wire#CONFIG}): this module's parameters, changed while
     * it runs (applied as the host stored them: the host checked them), or the HAL's.
     */
    private void configure(Wire.Frame f) {
        try {
            DataInputStream in = f.in();
            String pid = Wire.str(in);
            java.util.Hashtable<String, Object> properties = Wire.properties(in);
            // what this process has already is left alone: a configuration stored again would restart
            // the driver's component (its devices gone for a moment), and the host also tells of
            // changes the process started with (a load's own parameters, arriving after the start)
            if (pid.equals(module)) {
                Map<String, String> values = Isolation.text(properties);
                org.devhost.kernel.ModuleParameters p = parameters;
                if (p != null && !Arrays.equals(Wire.config(pid, Isolation.text(p.stored(module))), Wire.config(pid, values))) {
                    p.load(module, values);
                }
            } else if (pid.equals(Isolation.HAL_PID)) {
                org.osgi.service.cm.ConfigurationAdmin cm = configAdmin;
                if (cm != null) {
                    org.osgi.service.cm.Configuration c = cm.getConfiguration(pid, "?");
                    Map<String, Object> now = new java.util.HashMap<>();
                    if (c.getProperties() != null) {
                        for (var keys = c.getProperties().keys(); keys.hasMoreElements();) {
                            String k = keys.nextElement();
                            now.put(k, c.getProperties().get(k));
                        }
                    }
                    if (Arrays.equals(Wire.config(pid, now), Wire.config(pid, properties))) {
                        return;
                    }
                    if (properties.isEmpty()) {
                        c.delete(); // none on the host: the HAL's defaults
                    } else {
                        c.update(properties);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            core.log("WARN", module, "the host's configuration was not applied in the module's process: " + e, null);
        }
    }

    /** The driver's bundle started (failure empty) or did not: tells the host, which waits for it. */
    private void started(String failure) {
        ask(Wire.READY, new Wire.Out().s(failure));
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addReader(LogReaderService reader) {
        if (child) { // in the host this component is idle: no listener on every line the host logs
            reader.addLogListener(this);
        }
    }

    void removeReader(LogReaderService reader) {
        reader.removeLogListener(this);
    }

    @Override
    public void logged(LogEntry entry) {
        Bundle b = entry.getBundle();
        if (!child || b == null) {
            return;
        }
        String text = entry.getMessage() == null ? "" : entry.getMessage();
        boolean drivers = ModuleInfo.of(b).isPresent()
                && (entry.getLoggerName() == null || !entry.getLoggerName().startsWith("Events.")); // not the framework's chatter
        // this kernel's lines about the module (a fault, a revocation), but not the registrations,
        // which the host logs itself as it makes them
        boolean kernels = b.getBundleId() == context.getBundle().getBundleId() && module != null
                && module.equals(entry.getLoggerName()) && !text.startsWith("registered ") && !text.startsWith("removed device ");
        // and any other bundle's warnings and errors (the HAL's, the framework's): the host's log is the only one a user reads
        boolean trouble = !drivers && !kernels && LogLevel.WARN.implies(entry.getLogLevel());
        if (!drivers && !kernels && !trouble) {
            return;
        }
        if (trouble) {
            text = b.getSymbolicName() + ": " + text;
        }
        if (entry.getException() != null) {
            java.io.StringWriter w = new java.io.StringWriter();
            entry.getException().printStackTrace(new java.io.PrintWriter(w));
            text = text + "\n" + w.toString().stripTrailing(); // as the host's log shows a throwable
        }
        LogLevel l = entry.getLogLevel();
        String level = LogLevel.WARN.implies(l) ? (l == LogLevel.WARN ? "WARN" : "ERROR") : l == LogLevel.INFO ? "INFO" : "DEBUG";
        send(Wire.LOG, 0, new Wire.Out().s(level).s(text).done());
    }

    // ---- Supervision: the host supervises ----

    @Override
    public void driverFault(String module, String operation, Throwable error) {
        send(Wire.FAULT, 0, new Wire.Out().s(operation).s(error.getClass().getSimpleName()).s(String.valueOf(error)).done());
    }

    @Override
    public boolean supervised(String module) {
        return true;
    }

    @Override
    public boolean reserveBeforeReap(Bundle bundle) {
        return false;
    }

    @Override
    public void initFailed(Bundle bundle, String reason) {
        // READY carries it to the host
    }

    @Override
    public void processEnded(Bundle bundle, String reason) {
        // not in a child: it runs no process of its own
    }

    // ---- Upstream: the host grants every number ----

    @Override
    public int region(String name, int major, int baseMinor, int count) {
        return (int) ask(Wire.REGION, new Wire.Out().s(name).i(major).i(baseMinor).i(count));
    }

    @Override
    public void regionFreed(String name, int major, int baseMinor) {
        send(Wire.REGION_FREE, 0, new Wire.Out().s(name).i(major).i(baseMinor).done());
    }

    @Override
    public void chrDevice(String name, DeviceNumber number, int mode, Set<Operation> operations) {
        ask(Wire.CHR, new Wire.Out().s(name).i(number.major()).i(number.minor()).i(mode).i(Wire.bits(operations)));
    }

    @Override
    public int misc(String name, int minor, int mode, Set<Operation> operations) {
        return (int) ask(Wire.MISC, new Wire.Out().s(name).i(minor).i(mode).i(Wire.bits(operations)));
    }

    @Override
    public void added(String name) {
        send(Wire.ADDED, 0, new Wire.Out().s(name).done());
    }

    @Override
    public void miscFreed(String name, int minor) {
        send(Wire.MISC_FREE, 0, new Wire.Out().s(name).i(minor).done());
    }

    /** A request to the host, answered within {@link #HOST_ANSWER_MS}: its value, or the host's errno. */
    private long ask(byte kind, Wire.Out payload) {
        long id = ids.incrementAndGet();
        CompletableFuture<Wire.Frame> answer = new CompletableFuture<>();
        asked.put(id, answer);
        try {
            send(kind, id, payload.done());
            Wire.Frame f = answer.get(HOST_ANSWER_MS, TimeUnit.MILLISECONDS);
            DataInputStream in = f.in();
            if (f.kind() == Wire.ERR) {
                throw new KernelException(errno(Wire.str(in)), Wire.str(in));
            }
            return in.readLong();
        } catch (TimeoutException e) {
            throw new KernelException(Errno.ETIMEDOUT, "the host did not answer within " + HOST_ANSWER_MS + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KernelException(Errno.EINTR, "interrupted while the host answered");
        } catch (ExecutionException | IOException e) {
            throw new KernelException(Errno.EIO, "the host's answer: " + e);
        } finally {
            asked.remove(id);
        }
    }

    static Errno errno(String name) {
        try {
            return Errno.valueOf(name);
        } catch (IllegalArgumentException e) {
            return Errno.EIO;
        }
    }

    /**
     * Writes a frame. The calling thread's interrupt status is put aside meanwhile (a driver's
     * thread may send a wake-up or a log line while interrupted, and a write on an interrupted
     * thread closes the socket); an interrupt that lands during the write still would.
     */
    private void send(byte kind, long id, byte[] payload) {
        boolean interrupted = Thread.interrupted();
        try {
            synchronized (this) {
                Wire.write(out, kind, id, payload);
            }
        } catch (IOException e) {
            Runtime.getRuntime().halt(0); // the host is gone
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---- the host's requests ----

    /**
     * Reads the host's frames and serves each request on this thread, until the watcher gives the
     * reading to another thread while this one's operation blocks (then this one leaves after it).
     */
    private void read() {
        try {
            while (true) {
                Wire.Frame f = Wire.read(in);
                switch (f.kind()) {
                    case Wire.OK, Wire.ERR -> {
                        CompletableFuture<Wire.Frame> a = asked.get(f.id());
                        if (a != null) {
                            a.complete(f);
                        }
                    }
                    case Wire.BUSY -> { // the host's watchdog asks; answered by the reader, not behind the driver
                        long asked = f.in().readLong();
                        Serving s = running.get(asked);
                        boolean busy = s != null && s.inDriver();
                        StackTraceElement[] st = busy ? s.thread.getStackTrace() : new StackTraceElement[0];
                        String at = st.length == 0 ? "" : "'" + s.thread.getName() + "' at " + st[0];
                        send(Wire.OK, f.id(), new Wire.Out().l(busy ? 1 : 0).s(at).done());
                    }
                    case Wire.CANCEL -> {
                        Serving s = running.get(f.in().readLong());
                        if (s != null) {
                            s.cancel();
                        }
                    }
                    case Wire.CONFIG -> configs.execute(() -> configure(f)); // in order, off the reading thread
                    default -> {
                        long began = System.nanoTime();
                        began = began == READING ? began + 1 : began;
                        inline.set(began);
                        if (watcherAsleep) {
                            java.util.concurrent.locks.LockSupport.unpark(watcher);
                        }
                        serve(f);
                        if (!inline.compareAndSet(began, READING)) {
                            return; // the watcher gave the reading to another thread meanwhile
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // end of the host's connection (or a broken frame from it): nothing here may outlive it
        }
        Runtime.getRuntime().halt(0);
    }

    /**
     * Gives the reading to a fresh thread when the reader's operation has run {@link
     * #HANDOFF_NANOS}. Wakes about once per {@link #HANDOFF_NANOS} while requests come, and sleeps
     * until the next one after {@link #WATCH_NANOS} without.
     */
    private void watch() {
        long lastSeen = System.nanoTime();
        while (true) {
            long began = inline.get();
            long now = System.nanoTime();
            if (began == READING) {
                if (now - lastSeen < WATCH_NANOS) {
                    java.util.concurrent.locks.LockSupport.parkNanos(this, HANDOFF_NANOS);
                    continue;
                }
                watcherAsleep = true;
                if (inline.get() == READING) { // else the reader began one after we looked, and may not have seen us asleep
                    java.util.concurrent.locks.LockSupport.park(this);
                }
                watcherAsleep = false;
                lastSeen = System.nanoTime();
                continue;
            }
            lastSeen = now;
            long left = HANDOFF_NANOS - (now - began);
            if (left > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(this, left);
            } else if (inline.compareAndSet(began, READING)) {
                readers.execute(this::read);
            }
        }
    }

    /**
     * A request being served. Its thread is interrupted by the host's CANCEL only while it serves
     * this request ({@code done} is set, and the thread's interrupt cleared, under the lock by the
     * thread itself): a late cancel never reaches a thread that reads the socket again, whose
     * read an interrupt would close.
     */
    private static final class Serving {
        final Thread thread = Thread.currentThread();
        /** The driver's operations the request runs in, for the watchdog's question; null when none. */
        volatile Object ops;
        private boolean done;

        synchronized void cancel() {
            if (!done) {
                thread.interrupt();
            }
        }

        synchronized void end() {
            done = true;
            Thread.interrupted();
        }

        /** Whether its thread runs in the driver's code now (not parked in a kernel wait). */
        boolean inDriver() {
            Object o = ops;
            return o != null && org.devhost.kernel.impl.chrdev.StuckThreads.runningInDriver(thread, o);
        }
    }

    private void serve(Wire.Frame f) {
        Serving serving = new Serving();
        running.put(f.id(), serving);
        try { // whose code the request runs in, for the watchdog's question (BUSY)
            DataInputStream in = f.in();
            long fileId = in.readLong();
            OpenFileImpl file = files.get(fileId);
            if (file != null) {
                serving.ops = file.driverOperations();
            } else if (f.kind() == Wire.OPEN) {
                var device = core.table().lookup(DeviceNumber.of(in.readInt(), in.readInt()));
                if (device != null) {
                    serving.ops = device.ops;
                }
            }
        } catch (IOException | RuntimeException e) {
            // no file (STOP), or a number nobody has: nothing of a driver's runs for it
        }
        try {
            if (f.kind() == Wire.READ) {
                serveRead(f, serving);
                return;
            }
            byte[] answer;
            byte kind = Wire.OK;
            try {
                answer = operate(f);
            } catch (KernelException e) {
                kind = Wire.ERR;
                answer = Wire.err(e);
            } catch (Throwable e) {
                kind = Wire.ERR;
                answer = failure(e);
            }
            end(f, serving);
            send(kind, f.id(), answer);
        } finally {
            end(f, serving);
        }
    }

    private void end(Wire.Frame f, Serving serving) {
        running.remove(f.id(), serving);
        serving.end(); // a cancel that came late must not reach the next operation
    }

    private static byte[] failure(Throwable e) {
        return new Wire.Out().s(Errno.EIO.name()).s(String.valueOf(e)).done();
    }

    /** This thread's buffer for a read's data: direct, so the answer goes out without a copy; grown as asked. */
    private static final ThreadLocal<ByteBuffer> READ_BUFFER = new ThreadLocal<>();

    /**
     * A read: the driver fills this thread's buffer, whose first bytes, as many as the driver said,
     * go to the socket as the answer's data. The request ends (its cancel can no longer reach this
     * thread, its interrupt is cleared) before anything is written: a write on an interrupted
     * thread would close the socket.
     */
    private void serveRead(Wire.Frame f, Serving serving) {
        ByteBuffer dst;
        int n;
        try {
            DataInputStream in = f.in();
            long fileId = in.readLong();
            int length = Math.min(Math.max(in.readInt(), 0), Wire.MAX_IO);
            long offset = in.readLong();
            dst = READ_BUFFER.get();
            if (dst == null || dst.capacity() < length) {
                dst = ByteBuffer.allocateDirect(Math.max(length, 4096));
                READ_BUFFER.set(dst);
            }
            dst.clear().limit(length);
            n = file(fileId).forwardedRead(dst, offset);
        } catch (KernelException e) {
            end(f, serving);
            send(Wire.ERR, f.id(), Wire.err(e));
            return;
        } catch (Throwable e) {
            end(f, serving);
            send(Wire.ERR, f.id(), failure(e));
            return;
        }
        end(f, serving);
        dst.flip().limit(n); // the driver may have put more than it counts (a legal short read): its count goes
        try {
            synchronized (this) {
                Wire.write(channel, out, Wire.OK, f.id(), new Wire.Out().l(n).done(), dst);
            }
        } catch (IOException e) {
            Runtime.getRuntime().halt(0); // the host is gone
        }
    }

    private byte[] operate(Wire.Frame f) throws IOException, org.osgi.framework.BundleException {
        DataInputStream in = f.in();
        long fileId = in.readLong();
        switch (f.kind()) {
            case Wire.OPEN -> {
                DeviceNumber n = DeviceNumber.of(in.readInt(), in.readInt());
                files.put(fileId, (OpenFileImpl) host.open(n, in.readInt()));
                return new Wire.Out().l(0).bytes(new byte[0]).done();
            }
            case Wire.WRITE -> {
                long offset = in.readLong();
                ByteBuffer src = Wire.field(f.payload(), 16, Wire.MAX_IO); // after the file's id and the offset
                return new Wire.Out().l(file(fileId).forwardedWrite(src, offset)).bytes(new byte[0]).done();
            }
            case Wire.IOCTL -> {
                int cmd = in.readInt();
                boolean pointer = in.readBoolean();
                long value = in.readLong();
                byte[] data = Wire.bytes(in, Wire.MAX_IO);
                if (!pointer) {
                    return new Wire.Out().l(file(fileId).ioctl(cmd, value)).bytes(new byte[0]).done();
                }
                ByteBuffer arg = ByteBuffer.wrap(data).order(java.nio.ByteOrder.nativeOrder());
                long r = file(fileId).ioctl(cmd, arg);
                return new Wire.Out().l(r).bytes(data).done();
            }
            case Wire.SEEK -> {
                long offset = in.readLong();
                int whence = in.readInt();
                long hostPosition = in.readLong();
                long r = file(fileId).forwardedSeek(hostPosition, offset, whence);
                return new Wire.Out().l(r).bytes(new byte[0]).done();
            }
            case Wire.POLL -> {
                int mask = file(fileId).poll(() -> send(Wire.WAKE, 0, new Wire.Out().l(fileId).done()));
                return new Wire.Out().l(mask).bytes(new byte[0]).done();
            }
            case Wire.FSYNC -> {
                file(fileId).fsync();
                return new Wire.Out().l(0).bytes(new byte[0]).done();
            }
            case Wire.STOP -> {
                Bundle driver = context.getBundle(context.getProperty(ChildMain.DRIVER_PROPERTY));
                if (driver != null) {
                    driver.stop(); // its drop runs now; the host kills this process once it is answered
                }
                org.devhost.kernel.KernelLog log = kernelLog;
                if (log != null) {
                    log.lines(); // a barrier: what drop logged has reached every listener, this one's LOG too
                }
                return new Wire.Out().l(0).bytes(new byte[0]).done();
            }
            case Wire.RELEASE -> {
                OpenFileImpl file = files.remove(fileId);
                if (file != null) {
                    file.close();
                }
                return new Wire.Out().l(0).bytes(new byte[0]).done();
            }
            default -> throw new KernelException(Errno.EINVAL, "unknown request kind " + f.kind());
        }
    }

    private OpenFileImpl file(long id) {
        OpenFileImpl f = files.get(id);
        if (f == null) {
            throw new KernelException(Errno.EBADF, "no open file " + id + " in module " + module);
        }
        return f;
    }
}
