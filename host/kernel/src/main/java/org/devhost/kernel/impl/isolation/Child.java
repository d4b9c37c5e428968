package org.devhost.kernel.impl.isolation;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.devhost.kernel.ChrdevRegion;
import org.devhost.kernel.DeviceNumber;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.impl.chrdev.ModuleContext;
import org.devhost.kernel.impl.registry.KernelCore;
import org.devhost.kernel.impl.registry.ModuleRegistry;
import org.osgi.framework.Bundle;

/**
 * One isolated module's process, as the host sees it: the process, its socket, the requests in
 * flight both ways, and the host's registrations made for it (in the stand-in bundle's module
 * context, so they are the module's as an in-process driver's would be).
 *
 * <p>Invariants: every request sent to the child is answered exactly once, by the child or, when
 * the process ends, with EIO ({@link #ended}); after {@link #stop} nothing of the child runs and
 * its registrations are released. Whatever the child sends is checked here; a malformed message
 * kills it. Thread-safe: one reader thread per child; callers wait on their own futures.
 */
final class Child {
    /** How long an idle isolated module's drop may take before its process is killed regardless. */
    static final long DROP_MS = 5_000;
    /** The argument of a child's command line that {@link #start} replaces by its socket's path. */
    static final String SOCKET = "{socket}";
    private final Isolation isolation;
    private final Bundle standIn;
    private final String module;
    private final Path folder;
    private final KernelCore core;
    private final Map<Long, CompletableFuture<Wire.Frame>> pending = new ConcurrentHashMap<>();
    private final Map<String, ChrdevRegion> regions = new ConcurrentHashMap<>();
    private final Map<String, MiscDevice> miscs = new ConcurrentHashMap<>();
    /** The operations of each device the host made for the child, by name, until the child has it too. */
    private final Map<String, RemoteOperations> devices = new ConcurrentHashMap<>();
    private final Map<Long, RemoteOperations.RemoteFile> files = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    /** The request each caller waits on (the watchdog asks about a thread). */
    private final Map<Thread, Long> callers = new ConcurrentHashMap<>();
    private final Map<Thread, String> where = new ConcurrentHashMap<>();
    private final AtomicLong fileIds = new AtomicLong();
    final CompletableFuture<String> ready = new CompletableFuture<>();
    private volatile Process process;
    private ServerSocketChannel server;
    private volatile SocketChannel channel;
    private volatile OutputStream out;
    private ModuleContext context;
    private ModuleRegistry registry;
    private volatile boolean stopping;
    private volatile String endReason;

    Child(Isolation isolation, KernelCore core, Bundle standIn, String module, Path folder) {
        this.isolation = isolation;
        this.core = core;
        this.standIn = standIn;
        this.module = module;
        this.folder = folder;
    }

    String module() {
        return module;
    }

    Bundle standIn() {
        return standIn;
    }

    Path folder() {
        return folder;
    }

    /** The child's pid, or -1 before it runs. */
    long pid() {
        Process p = process;
        return p == null ? -1 : p.pid();
    }

    Process process() {
        return process;
    }

    /**
     * Starts the process ({@code command}, with {@link #SOCKET} standing for the path it connects
     * to) and waits until it has connected and said who it is, within {@code
     * deadlineMillis}; its devices come later, and {@link #ready} completes when its driver has
     * started (or failed to).
     */
    void start(List<String> command, long deadlineMillis) throws IOException {
        Path socket = folder.resolve("s");
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(socket), 1);
            List<String> cmd = command.stream().map(a -> a.equals(SOCKET) ? socket.toString() : a).toList();
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(folder.resolve("output").toFile()));
            synchronized (this) {
                if (stopping) { // stopped while it was being started: it never runs
                    throw new IOException("the module was stopped before its process started");
                }
                process = pb.start();
                this.server = server;
            }
            process.getOutputStream().close(); // a child reads nothing on stdin: no pipe kept per child
            process.onExit().thenRun(() -> ended(exitStatus()));
            CompletableFuture<SocketChannel> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    return server.accept();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, r -> {
                Thread t = new Thread(r, "devhost isolation accept " + module);
                t.setDaemon(true);
                t.start();
            });
            SocketChannel ch;
            try {
                ch = accepted.get(deadlineMillis, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                throw new IOException("the process did not connect within " + deadlineMillis + " ms");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while the process started");
            } catch (ExecutionException e) {
                throw new IOException("the process did not connect: " + e.getCause());
            }
            // Only our own user may speak for a module: the socket's folder is ours alone, and the peer is checked.
            var peer = ch.getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED);
            if (!peer.user().getName().equals(System.getProperty("user.name"))) {
                ch.close();
                throw new IOException("a process of user " + peer.user().getName() + " connected, not ours");
            }
            channel = ch;
            out = new BufferedOutputStream(Wire.output(ch), 1 << 16);
        } finally {
            server.close();
            Files.deleteIfExists(socket);
        }
        context = core.attach(standIn);
        registry = new ModuleRegistry(context);
        InputStream in = new BufferedInputStream(Wire.input(channel), 1 << 16);
        Thread reader = new Thread(() -> read(in), "devhost isolation reader " + module);
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Ends the module: an idle one first gets its drop, within {@link #DROP_MS}; then the process is
     * killed (always: it is the only end that is certain), what waits is answered, and its devices
     * are released. A module with requests in flight (a hang, or one the supervisor found faulty
     * while busy) is killed at once: its callers are answered now, not after a drop that would wait
     * for them.
     */
    void stop() {
        Process p;
        ServerSocketChannel s;
        synchronized (this) {
            stopping = true;
            p = process;
            s = server;
        }
        if (s != null) {
            try {
                s.close(); // a start still waiting for the connection gives up now
            } catch (IOException ignored) {
                // closing is all we wanted
            }
        }
        if (p != null && p.isAlive() && endReason == null && pending.isEmpty() && channel != null) {
            try {
                callWithin(Wire.STOP, new Wire.Out().l(0).done(), DROP_MS);
            } catch (KernelException e) {
                core.log("WARN", module, "its drop did not end within " + DROP_MS + " ms (" + e.getMessage()
                        + "); its process is killed", null);
            }
        }
        if (p != null) {
            int inFlight = pending.size();
            if (inFlight > 0 && p.isAlive()) {
                core.log("WARN", module, "its process " + p.pid() + " is killed (SIGKILL) with " + inFlight
                        + " request(s) in flight; their callers get EIO", null);
            }
            p.destroyForcibly();
            try {
                p.onExit().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                core.log("WARN", module, "its process " + p.pid() + " did not end within 5 s of SIGKILL", null);
            }
        }
        ended("the module was stopped");
        try { // the reader may have seen the end first: the stop is over once what waited is answered
            answeredAll.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        logOutput();
        ModuleContext c = context;
        if (c != null) {
            core.detach(standIn, c);
        }
        isolation.delete(folder);
    }

    /**
     * Why the process is gone, as the log says it: its exit status when it has one within a moment
     * (its socket closes as it exits, often just before the status is there), else that its socket closed.
     */
    private String exitStatus() {
        Process p = process;
        try {
            p.onExit().get(1, TimeUnit.SECONDS);
        } catch (Exception e) {
            return "its socket closed";
        }
        int status = p.exitValue();
        return "its process ended with status " + status + (status == 3 ? " (out of memory)"
                : status > 128 ? " (signal " + (status - 128) + ")" : "");
    }

    /** What the process printed (the JVM's own errors, a driver's System.out) goes to the kernel log before its folder goes. */
    private void logOutput() {
        Path output = folder.resolve("output");
        try {
            if (Files.isRegularFile(output) && Files.size(output) > 0) {
                List<String> lines = Files.readAllLines(output, java.nio.charset.StandardCharsets.UTF_8);
                List<String> tail = lines.subList(Math.max(0, lines.size() - 20), lines.size());
                core.log("WARN", module, "its process printed:\n" + String.join("\n", tail), null);
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            // the output is a courtesy; the module's end is not held up for it
        }
    }

    /** Open once {@link #ended} has answered what waited (on whichever thread saw the end first). */
    private final java.util.concurrent.CountDownLatch answeredAll = new java.util.concurrent.CountDownLatch(1);

    /** The process is gone or broke the protocol: every request in flight is answered EIO, once. */
    private void ended(String reason) {
        synchronized (this) {
            if (endReason != null) {
                return;
            }
            endReason = reason;
        }
        try {
            SocketChannel ch = channel;
            if (ch != null) {
                ch.close();
            }
        } catch (IOException ignored) {
            // closing is all we wanted
        }
        Process p = process;
        if (p != null) {
            p.destroyForcibly();
        }
        KernelException gone = new KernelException(Errno.EIO, "module " + module + ": " + reason);
        long answered = pending.values().stream().filter(f -> f.completeExceptionally(gone)).count();
        if (answered > 0) {
            core.log("WARN", module, answered + " request(s) waiting on process " + pid() + " answered EIO", null);
        }
        answeredAll.countDown();
        devices.values().forEach(d -> d.added.completeExceptionally(gone));
        ready.complete("its process ended before its driver started: " + reason);
        if (!stopping) {
            core.log("ERROR", module, "isolated module's process " + pid() + " ended: " + reason, null);
            isolation.processEnded(this, reason);
        }
    }

    /** An answer to a request broke the protocol (checked by {@link RemoteOperations}). */
    void malformedAnswer(String what) {
        malformed(what);
    }

    private void malformed(String what) {
        core.log("ERROR", module, "isolated module's process " + pid() + " sent a malformed message (" + what
                + "); killing it", null);
        ended("it sent a malformed message (" + what + ")");
    }

    // ---- requests to the child ----

    /** Sends a request and waits for its answer: the child's value and data, or its errno. */
    Wire.Frame call(byte kind, byte[] payload) {
        return call(kind, payload, null);
    }

    /**
     * Sends a request whose payload ends with {@code data} (a write's bytes, sent from the buffer
     * without a copy; null for none) and waits for its answer.
     */
    Wire.Frame call(byte kind, byte[] payload, java.nio.ByteBuffer data) {
        if (endReason != null) {
            throw new KernelException(Errno.EIO, "module " + module + ": " + endReason);
        }
        long id = ids.incrementAndGet();
        CompletableFuture<Wire.Frame> answer = new CompletableFuture<>();
        pending.put(id, answer);
        callers.put(Thread.currentThread(), id);
        try {
            if (endReason != null) { // ended between the check and the put: nobody else will answer it
                throw new KernelException(Errno.EIO, "module " + module + ": " + endReason);
            }
            if (data == null) {
                send(kind, id, payload);
            } else {
                send(kind, id, payload, data);
            }
            Wire.Frame f;
            boolean interrupted = false;
            while (true) {
                try {
                    f = answer.get();
                    break;
                } catch (InterruptedException e) {
                    // the caller was interrupted (a FUSE_INTERRUPT, a shell's ^C): the child's operation
                    // is interrupted too, and its answer (EINTR, or what it finished) still comes
                    if (!interrupted) {
                        interrupted = true;
                        send(Wire.CANCEL, 0, new Wire.Out().l(id).done());
                    }
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof KernelException k ? k
                            : new KernelException(Errno.EIO, "module " + module + ": " + e.getCause());
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            if (f.kind() == Wire.ERR) {
                DataInputStream in = f.in();
                try {
                    throw new KernelException(Satellite.errno(Wire.str(in)), Wire.str(in));
                } catch (IOException e) {
                    throw new KernelException(Errno.EIO, "module " + module + ": a malformed answer");
                }
            }
            return f;
        } finally {
            pending.remove(id);
            callers.remove(Thread.currentThread(), id);
            where.remove(Thread.currentThread());
        }
    }

    /** How long the watchdog's question may take before the answer is "running" (a child that cannot answer is as hung). */
    static final long BUSY_MS = 2_000;

    /** The watchdog's question for the request {@code caller} waits on: does it run in the driver's code over there? */
    boolean runningInDriver(Thread caller) {
        Long id = callers.get(caller);
        if (id == null || endReason != null) {
            return false; // not waiting on this child (any more)
        }
        try {
            Wire.Frame f = callWithinFrame(Wire.BUSY, new Wire.Out().l(id).done(), BUSY_MS);
            DataInputStream in = f.in();
            boolean busy = in.readLong() != 0;
            String at = new String(Wire.bytes(in, Wire.MAX_STRING), java.nio.charset.StandardCharsets.UTF_8);
            if (!at.isEmpty()) {
                where.put(caller, at + " in process " + pid());
            }
            return busy;
        } catch (KernelException | IOException e) {
            return true;
        }
    }

    /** Where the request {@code caller} waits on last ran in the child, as its last BUSY answer said. */
    String where(Thread caller) {
        return where.get(caller);
    }

    /** A request answered within {@code millis}, else ETIMEDOUT (the answer, should it come, is dropped). */
    private void callWithin(byte kind, byte[] payload, long millis) {
        callWithinValue(kind, payload, millis);
    }

    private long callWithinValue(byte kind, byte[] payload, long millis) {
        try {
            return callWithinFrame(kind, payload, millis).in().readLong();
        } catch (IOException e) {
            throw new KernelException(Errno.EIO, "module " + module + ": an answer without its value");
        }
    }

    private Wire.Frame callWithinFrame(byte kind, byte[] payload, long millis) {
        long id = ids.incrementAndGet();
        CompletableFuture<Wire.Frame> answer = new CompletableFuture<>();
        pending.put(id, answer);
        try {
            send(kind, id, payload);
            Wire.Frame f = answer.get(millis, TimeUnit.MILLISECONDS);
            if (f.kind() == Wire.ERR) {
                DataInputStream in = f.in();
                throw new KernelException(Satellite.errno(Wire.str(in)), Wire.str(in));
            }
            return f;
        } catch (TimeoutException e) {
            throw new KernelException(Errno.ETIMEDOUT, "no answer within " + millis + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KernelException(Errno.EINTR, "interrupted");
        } catch (ExecutionException | IOException e) {
            throw new KernelException(Errno.EIO, String.valueOf(e.getCause() == null ? e : e.getCause()));
        } finally {
            pending.remove(id);
        }
    }

    /**
     * Writes a frame; dropped while the process has not connected (it gets what it needs once it
     * has: its parameters by PARAMS, the HAL's configuration sent after the start). The caller's
     * interrupt status is put aside meanwhile: a caller interrupted before (its earlier call was
     * cancelled) must not close the socket, which a write on an interrupted thread does; an
     * interrupt that lands during the write still would (the module then restarts).
     */
    void send(byte kind, long id, byte[] payload) {
        boolean interrupted = Thread.interrupted();
        try {
            synchronized (this) {
                if (out == null) {
                    return;
                }
                Wire.write(out, kind, id, payload);
            }
        } catch (IOException e) {
            ended("its socket failed (" + e.getMessage() + ")");
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void send(byte kind, long id, byte[] head, java.nio.ByteBuffer data) {
        boolean interrupted = Thread.interrupted(); // as send(kind, id, payload)
        try {
            synchronized (this) {
                Wire.write(channel, out, kind, id, head, data);
            }
        } catch (IOException e) {
            ended("its socket failed (" + e.getMessage() + ")");
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private volatile boolean hal;

    /** Whether its driver uses the HAL (its process has the HAL's bundles and gets the host's HAL configuration). */
    boolean usesHal() {
        return hal;
    }

    void usesHal(boolean uses) {
        hal = uses;
    }

    long newFileId() {
        return fileIds.incrementAndGet();
    }

    void opened(RemoteOperations.RemoteFile f) {
        files.put(f.id(), f);
    }

    void released(RemoteOperations.RemoteFile f) {
        files.remove(f.id());
    }

    ModuleRegistry registry() {
        return registry;
    }

    // ---- the child's messages ----

    private void read(InputStream in) {
        try {
            while (endReason == null) {
                Wire.Frame f = Wire.read(in);
                handle(f);
            }
        } catch (java.io.EOFException | java.nio.channels.ClosedChannelException e) {
            ended(exitStatus());
        } catch (IOException | RuntimeException e) {
            if (endReason == null) {
                malformed(e.getMessage() == null ? e.toString() : e.getMessage());
            }
        }
    }

    private void handle(Wire.Frame f) throws IOException {
        DataInputStream in = f.in();
        switch (f.kind()) {
            case Wire.OK, Wire.ERR -> {
                if (f.id() <= 0 || f.id() > ids.get()) {
                    throw new IOException("an answer to request " + f.id() + ", which was never sent");
                }
                CompletableFuture<Wire.Frame> a = pending.get(f.id());
                if (a != null) { // else its caller has gone already
                    a.complete(f);
                }
            }
            case Wire.HELLO -> {
                long pid = in.readLong();
                if (pid != pid()) {
                    throw new IOException("it says it is process " + pid + ", but it is " + pid());
                }
                answer(f.id(), 0);
            }
            case Wire.REGION -> grant(f.id(), () -> {
                String name = Wire.str(in);
                ChrdevRegion r = registry.chrdevRegion(name, in.readInt(), in.readInt(), in.readInt());
                regions.put(r.major() + ":" + r.baseMinor(), r);
                return r.major();
            });
            case Wire.REGION_FREE -> {
                Wire.str(in);
                ChrdevRegion r = regions.remove(in.readInt() + ":" + in.readInt());
                if (r != null) {
                    r.close();
                }
            }
            case Wire.CHR -> grant(f.id(), () -> {
                String name = Wire.str(in);
                DeviceNumber n = DeviceNumber.of(in.readInt(), in.readInt());
                int mode = in.readInt();
                java.util.Set<org.devhost.kernel.Operation> ops = Wire.operations(in.readInt());
                ChrdevRegion r = regions.values().stream().filter(x -> x.major() == n.major()
                        && n.minor() >= x.baseMinor() && n.minor() < x.baseMinor() + x.count()).findFirst()
                        .orElseThrow(() -> new KernelException(Errno.EINVAL, "device " + name + " " + n
                                + ": no region of module " + module + " holds that number"));
                r.register(n.minor(), name, mode, remote(name, ops));
                return 0;
            });
            case Wire.MISC -> grant(f.id(), () -> {
                String name = Wire.str(in);
                int minor = in.readInt();
                int mode = in.readInt();
                MiscDevice m = registry.registerMisc(name, minor, mode, remote(name, Wire.operations(in.readInt())));
                miscs.put(name, m);
                return m.device().number().minor();
            });
            case Wire.MISC_FREE -> {
                MiscDevice m = miscs.remove(Wire.str(in));
                if (m != null) {
                    m.close();
                }
            }
            case Wire.LOG -> {
                String level = Wire.str(in);
                String text = Wire.str(in);
                if (!List.of("ERROR", "WARN", "INFO", "DEBUG").contains(level)) {
                    throw new IOException("a log line at level '" + level + "'");
                }
                core.log(level, module, text, null);
            }
            case Wire.WAKE -> {
                RemoteOperations.RemoteFile file = files.get(in.readLong());
                if (file != null) {
                    file.queue().wakeAll();
                }
            }
            case Wire.ADDED -> {
                RemoteOperations ops = devices.get(Wire.str(in));
                if (ops != null) {
                    ops.added.complete(null);
                }
            }
            case Wire.FAULT -> {
                String operation = Wire.str(in);
                String type = Wire.str(in);
                String error = Wire.str(in);
                core.driverFault(module, operation, new org.devhost.kernel.impl.chrdev.ForwardedFault(type, error));
            }
            case Wire.PARAMS -> {
                StringBuilder text = new StringBuilder();
                isolation.parameters(module).forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
                byte[] b = text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
                send(Wire.OK, f.id(), new Wire.Out().l(0).bytes(b).done());
            }
            case Wire.READY -> {
                String failure = Wire.str(in);
                answer(f.id(), 0);
                ready.complete(failure);
                if (!failure.isEmpty()) {
                    isolation.initFailed(this, failure);
                }
            }
            default -> throw new IOException("a message of unknown kind " + f.kind());
        }
    }

    private RemoteOperations remote(String name, java.util.Set<org.devhost.kernel.Operation> ops) {
        RemoteOperations r = new RemoteOperations(this, ops);
        devices.put(name, r);
        if (endReason != null) {
            r.added.completeExceptionally(new KernelException(Errno.EIO, "module " + module + ": " + endReason));
        }
        return r;
    }

    private interface Grant {
        long run() throws IOException;
    }

    /**
     * Runs a registration the child asked for, on this (the reader's) thread, and answers it: the
     * host's kernel checks it as it checks an in-process driver's (names, numbers, modes).
     */
    private void grant(long id, Grant g) throws IOException {
        if (id <= 0) {
            throw new IOException("a request without an id");
        }
        try {
            answer(id, g.run());
        } catch (KernelException e) {
            send(Wire.ERR, id, Wire.err(e));
        }
    }

    private void answer(long id, long value) {
        send(Wire.OK, id, new Wire.Out().l(value).done());
    }
}
