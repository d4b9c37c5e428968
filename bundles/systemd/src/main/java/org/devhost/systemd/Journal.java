package org.devhost.systemd;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.Map;
import org.devhost.hal.Hal;
import org.devhost.kernel.Device;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.ModuleInfo;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogLevel;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;

/**
 * The host's log in the systemd journal, with fields a person can filter on, when systemd runs it
 * ({@code JOURNAL_STREAM} in the environment, or the framework property {@code devhost.journal=on}).
 * Every log entry (what {@code dev:dmesg} shows) becomes a journal entry with its level as {@code
 * PRIORITY} (error 3, warning 4, audit 5, info 6, debug 7) and {@code DEVHOST_MODULE}; a device
 * added or removed adds {@code DEVHOST_DEVICE}, {@code DEVHOST_MAJOR}, {@code DEVHOST_MINOR}; a
 * supervisor event ({@code CRASHED}, {@code HUNG}, {@code RESTARTING}, {@code RESTARTED},
 * {@code FAILED}) adds {@code DEVHOST_EVENT} at the priority it deserves, so {@code journalctl -u
 * devhost -p err} shows every driver crash and {@code journalctl DEVHOST_MODULE=scull} one module.
 *
 * <p>Why the native protocol and not stdout with {@code <3>} prefixes: only the native socket
 * carries fields, and a line printed to stdout is the framework's console, which a shell shares.
 * One datagram per entry to {@code /run/systemd/journal/socket} ({@code devhost.journal.socket}
 * moves it), through the HAL; a value with a newline goes in the protocol's length-prefixed form.
 * A send that fails is counted and said once; the entries stay in {@code dev:dmesg} either way.
 */
@Component(immediate = true)
public final class Journal implements LogListener, EventHandler {
    static final String SOCKET = "/run/systemd/journal/socket";
    /** Larger entries are cut: a datagram must fit the journal's socket buffer. */
    static final int MAX_MESSAGE = 48 * 1024;

    private final Hal hal;
    private final String socket;
    private final boolean on;
    private final ServiceRegistration<EventHandler> events;
    private volatile boolean failing;

    @Activate
    public Journal(@Reference Hal hal, BundleContext context) {
        this.hal = hal;
        String property = context.getProperty("devhost.journal");
        this.on = "on".equals(property) || "true".equals(property) || property == null && System.getenv("JOURNAL_STREAM") != null;
        String path = context.getProperty("devhost.journal.socket");
        this.socket = path == null || path.isBlank() ? SOCKET : path.trim();
        if (on) {
            Dictionary<String, Object> topics = new Hashtable<>();
            topics.put(EventConstants.EVENT_TOPIC, new String[] {"org/devhost/kernel/device/*", "org/devhost/module/*"});
            events = context.registerService(EventHandler.class, this, topics);
        } else {
            events = null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addReader(LogReaderService reader) {
        if (on) {
            reader.addLogListener(this);
        }
    }

    void removeReader(LogReaderService reader) {
        reader.removeLogListener(this);
    }

    @Deactivate
    void deactivate() {
        if (events != null) {
            events.unregister();
        }
    }

    @Override
    public void logged(LogEntry entry) {
        Map<String, String> fields = new LinkedHashMap<>();
        String module = entry.getBundle() == null ? null : ModuleInfo.of(entry.getBundle()).map(ModuleInfo::name).orElse(null);
        Throwable error = entry.getException();
        fields.put("MESSAGE", (module == null ? "" : module + ": ") + entry.getMessage() + (error == null ? "" : "\n" + error));
        fields.put("PRIORITY", Integer.toString(priority(entry.getLogLevel())));
        fields.put("DEVHOST_MODULE", module != null ? module : entry.getLoggerName());
        send(fields);
    }

    @Override
    public void handleEvent(Event event) {
        String topic = event.getTopic();
        String kind = topic.substring(topic.lastIndexOf('/') + 1);
        Map<String, String> fields = new LinkedHashMap<>();
        if (topic.startsWith("org/devhost/kernel/device/")) {
            Object name = event.getProperty(Device.NAME);
            fields.put("MESSAGE", "device " + name + " " + event.getProperty(Device.MAJOR) + ":" + event.getProperty(Device.MINOR)
                    + (kind.equals("ADDED") ? " added" : " removed") + " (module " + event.getProperty(Device.MODULE) + ")");
            fields.put("PRIORITY", "6");
            fields.put("DEVHOST_MODULE", String.valueOf(event.getProperty(Device.MODULE)));
            fields.put("DEVHOST_DEVICE", String.valueOf(name));
            fields.put("DEVHOST_MAJOR", String.valueOf(event.getProperty(Device.MAJOR)));
            fields.put("DEVHOST_MINOR", String.valueOf(event.getProperty(Device.MINOR)));
        } else {
            Object module = event.getProperty("module");
            Object reason = event.getProperty("reason");
            fields.put("MESSAGE", "module " + module + ": " + kind.toLowerCase(java.util.Locale.ROOT)
                    + (reason == null ? "" : ": " + reason) + " (restarts " + event.getProperty("restarts") + ")");
            fields.put("PRIORITY", switch (kind) {
                case "CRASHED", "HUNG", "FAILED" -> "3";
                case "RESTARTING" -> "4";
                default -> "5";
            });
            fields.put("DEVHOST_MODULE", String.valueOf(module));
        }
        fields.put("DEVHOST_EVENT", kind);
        send(fields);
    }

    static int priority(LogLevel level) {
        return switch (level) {
            case ERROR -> 3;
            case WARN -> 4;
            case AUDIT -> 5;
            case INFO -> 6;
            default -> 7;
        };
    }

    /** The journal's native protocol: {@code NAME=value} lines; a value with a newline as NAME, newline, its length (64-bit little-endian), the value, newline. */
    static byte[] encode(Map<String, String> fields) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        fields.put("SYSLOG_IDENTIFIER", "devhost");
        for (Map.Entry<String, String> f : fields.entrySet()) {
            String value = f.getValue();
            byte[] v = value.getBytes(StandardCharsets.UTF_8);
            if (v.length > MAX_MESSAGE) {
                v = java.util.Arrays.copyOf(v, MAX_MESSAGE);
            }
            out.writeBytes(f.getKey().getBytes(StandardCharsets.US_ASCII));
            if (value.indexOf('\n') >= 0) {
                out.write('\n');
                out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v.length).array());
            } else {
                out.write('=');
            }
            out.writeBytes(v);
            out.write('\n');
        }
        return out.toByteArray();
    }

    private void send(Map<String, String> fields) {
        if (!on) {
            return;
        }
        try {
            hal.sendDatagram(socket, ByteBuffer.wrap(encode(fields)));
            failing = false;
        } catch (KernelException e) {
            if (!failing) {
                failing = true;
                System.err.println("devhost: cannot write to the journal at " + socket + " (" + e.getMessage()
                        + "); the log stays in dev:dmesg");
            }
        }
    }
}
