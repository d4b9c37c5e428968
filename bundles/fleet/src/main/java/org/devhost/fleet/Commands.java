package org.devhost.fleet;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.devhost.fleet.proto.SparkplugB.Payload;
import org.devhost.fleet.proto.SparkplugB.Payload.Metric;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.ModuleManager;
import org.devhost.kernel.ModuleParameters;
import org.devhost.kernel.ModuleStatus;

/**
 * Node commands (NCMD) that act on modules, run through the kernel's {@link ModuleManager} (the
 * same code path, checks and errno as {@code dev:insmod}, {@code dev:rmmod} and {@code
 * dev:restart}) and its {@link ModuleParameters} (the service the web console's parameter form and
 * {@code insmod m p=v} use). A command's value is the words those shell commands take:
 *
 * <ul>
 *   <li>{@value Payloads#LOAD}: {@code --sha256 HEX URL [name=value]...}. The pin is required for
 *       every load sent over the network, local paths too: the request comes from the network,
 *       and a jar is code the host runs.
 *   <li>{@value Payloads#UNLOAD}: {@code [-f] NAME}.
 *   <li>{@value Payloads#RESTART}: {@code NAME}.
 *   <li>{@value Payloads#SET}: {@code MODULE name=value...}: all or none, through {@link
 *       ModuleParameters#set}; EINVAL for a value that does not fit, EPERM for a read-only
 *       parameter of a loaded module, ENOENT for no such module. A value is one word (no blanks),
 *       as at {@code dev:insmod}.
 * </ul>
 *
 * <p>Each outcome is one JSON line ({@link #outcome}) handed to the result sink, which the session
 * publishes as the NDATA metric {@value Payloads#RESULT}; {@value Payloads#REQUEST} in the same
 * NCMD names the request in it. Commands run one at a time on a thread of their own, never on
 * MQTT's or the kernel's; at most {@value #QUEUE} wait, and one more is refused at once with
 * EAGAIN. Thread-safe.
 */
final class Commands implements AutoCloseable {
    static final int QUEUE = 8;

    private final ModuleManager modules;
    private final ModuleParameters parameters;
    private final Consumer<String> results;
    private final ThreadPoolExecutor thread;

    /** @param parameters the kernel's parameters service, or null: {@value Payloads#SET} is then ENODEV */
    Commands(ModuleManager modules, ModuleParameters parameters, Consumer<String> results, String threadName) {
        this.modules = modules;
        this.parameters = parameters;
        this.results = results;
        this.thread = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(QUEUE), r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
    }

    /** One module command of an NCMD: the metric's short name ({@code Load Module}), its words, and the request id. */
    record Request(String command, String argument, String requestId) {}

    /**
     * The module commands in an NCMD payload, in its order; a metric of a command name whose value
     * is not a string becomes a request that fails with EINVAL when run. Rebirth and unknown
     * metrics are not requests here.
     */
    static List<Request> requests(Payload p) {
        String id = null;
        for (Metric m : p.getMetricsList()) {
            if (Payloads.REQUEST.equals(m.getName()) && m.hasStringValue()) {
                id = m.getStringValue();
            }
        }
        List<Request> out = new ArrayList<>();
        for (Metric m : p.getMetricsList()) {
            String name = m.getName();
            if (name.equals(Payloads.LOAD) || name.equals(Payloads.UNLOAD) || name.equals(Payloads.RESTART)
                    || name.equals(Payloads.SET)) {
                out.add(new Request(name.substring("Node Control/".length()), m.hasStringValue() ? m.getStringValue() : null,
                        id == null || id.isEmpty() ? null : id));
            }
        }
        return out;
    }

    /** Whether the payload asks for a rebirth ({@value Payloads#REBIRTH} = true). */
    static boolean rebirth(Payload p) {
        for (Metric m : p.getMetricsList()) {
            if (Payloads.REBIRTH.equals(m.getName()) && m.hasBooleanValue() && m.getBooleanValue()) {
                return true;
            }
        }
        return false;
    }

    /** Queues {@code r}; when the queue is full, its refusal (EAGAIN) goes to the sink at once. */
    void submit(Request r) {
        try {
            thread.execute(() -> results.accept(run(r)));
        } catch (RejectedExecutionException e) {
            results.accept(outcome(r, null, new KernelException(Errno.EAGAIN, "too many fleet commands waiting (" + QUEUE
                    + "); send it again once the results of the earlier ones have come")));
        }
    }

    /** Runs one request now, on the caller's thread; its outcome as JSON. */
    String run(Request r) {
        try {
            if (r.argument() == null) {
                throw new KernelException(Errno.EINVAL, r.command() + " takes a String value");
            }
            List<String> words = words(r.argument());
            return switch (r.command()) {
                case "Load Module" -> outcome(r, load(words).name(), null);
                case "Unload Module" -> {
                    boolean force = !words.isEmpty() && words.get(0).equals("-f");
                    List<String> rest = force ? words.subList(1, words.size()) : words;
                    if (rest.size() != 1) {
                        throw new KernelException(Errno.EINVAL, "Unload Module takes [-f] NAME");
                    }
                    modules.unload(rest.get(0), force);
                    yield outcome(r, rest.get(0), null);
                }
                case "Restart Module" -> {
                    if (words.size() != 1) {
                        throw new KernelException(Errno.EINVAL, "Restart Module takes NAME");
                    }
                    modules.restart(words.get(0));
                    yield outcome(r, words.get(0), null);
                }
                case "Set Parameters" -> outcome(r, set(words), null);
                default -> throw new KernelException(Errno.EINVAL, "unknown command " + r.command());
            };
        } catch (KernelException e) {
            return outcome(r, null, e);
        } catch (RuntimeException e) {
            return outcome(r, null, new KernelException(Errno.EIO, e.toString()));
        }
    }

    private ModuleStatus load(List<String> words) {
        String sha256 = null;
        int i = 0;
        if (i < words.size() && words.get(i).startsWith("--sha256=")) {
            sha256 = words.get(i++).substring("--sha256=".length());
        } else if (i + 1 < words.size() && words.get(i).equals("--sha256")) {
            sha256 = words.get(i + 1);
            i += 2;
        }
        if (sha256 == null || sha256.isEmpty()) {
            throw new KernelException(Errno.EACCES, "a load sent over the fleet needs the jar's SHA-256 pinned:"
                    + " --sha256 HEX URL [name=value]...");
        }
        if (i >= words.size()) {
            throw new KernelException(Errno.EINVAL, "Load Module takes --sha256 HEX URL [name=value]...; no jar given");
        }
        String jar = words.get(i++);
        Map<String, String> parameters = new LinkedHashMap<>();
        for (; i < words.size(); i++) {
            String p = words.get(i);
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new KernelException(Errno.EINVAL, "parameter '" + p + "' is not name=value");
            }
            parameters.put(p.substring(0, eq), p.substring(eq + 1));
        }
        return modules.load(jar, parameters, sha256);
    }

    /** {@code MODULE name=value...}: checked here for its shape, then by the kernel (all or none); the module's name. */
    private String set(List<String> words) {
        if (words.size() < 2) {
            throw new KernelException(Errno.EINVAL, "Set Parameters takes MODULE name=value...");
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (String p : words.subList(1, words.size())) {
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new KernelException(Errno.EINVAL, "parameter '" + p + "' is not name=value");
            }
            values.put(p.substring(0, eq), p.substring(eq + 1));
        }
        if (parameters == null) {
            throw new KernelException(Errno.ENODEV, "the kernel's module parameters service is not running");
        }
        parameters.set(words.get(0), values);
        return words.get(0);
    }

    private static List<String> words(String s) {
        List<String> out = new ArrayList<>();
        for (String w : s.trim().split("\\s+")) {
            if (!w.isEmpty()) {
                out.add(w);
            }
        }
        return out;
    }

    /** {@code {"request":..,"command":..,"argument":..,"result":"ok"|"EXXX","module"|"message":..}}. */
    static String outcome(Request r, String module, KernelException failure) {
        return Json.object(Json.fields("request", r.requestId(), "command", r.command(), "argument", r.argument(),
                "result", failure == null ? "ok" : failure.errno().name(), "module", failure == null ? module : null,
                "message", failure == null ? null : failure.getMessage()));
    }

    /** Stops taking commands; waits a bounded time for the one running (the kernel bounds each step itself). */
    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
