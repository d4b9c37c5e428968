package org.devhost.devfs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Hashtable;
import java.util.StringJoiner;
import org.devhost.hal.FuseChannel;
import org.devhost.hal.Hal;
import org.devhost.kernel.Device;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * devfs: while the host runs, every registered device is a file under one mount point that any
 * process of the machine can open, read, write, ioctl and poll ({@link FuseServer} speaks FUSE
 * over the HAL's {@link FuseChannel}). Files follow the kernel's device services: they appear
 * when a driver registers a device and disappear when it goes.
 *
 * <p>Configuration: the framework properties {@code devhost.devfs} ({@code off} turns it off),
 * {@code devhost.devfs.mount} (the mount point), {@code devhost.devfs.allow_other}, {@code
 * devhost.devfs.threads}, {@code devhost.devfs.user_threads} and {@code
 * devhost.devfs.interrupt_grace_ms}, or the same through Configuration Admin (PID {@code
 * org.devhost.devfs}), which wins (a number there wins when it differs from its default). The default mount point is {@code /run/devhost/dev} for root and {@code
 * $XDG_RUNTIME_DIR/devhost/dev} otherwise ({@code /tmp/devhost-UID/devhost/dev} without it, in a
 * folder that must be the user's alone: {@link #tmpMountFolder}). A mount that fails leaves the host running without
 * devfs and says why ({@code dev:mounts}, the kernel log and the console).
 *
 * <p>While mounted, a service with the property {@link #MOUNT_PROPERTY} tells other bundles (the
 * shell's {@code dev:ls}) where the files are. When it cannot mount, a service with {@link
 * #FAILED_PROPERTY} says why, so that nothing waits for a mount that will not come (systemd's
 * READY=1: the host as a service fails at once, with the reason, instead of timing out).
 */
@Component(service = Devfs.class, immediate = true, configurationPid = "org.devhost.devfs", property = {
        "osgi.command.scope=dev", "osgi.command.function=mounts"})
@Designate(ocd = Devfs.Config.class)
public final class Devfs {
    /** Service property: the mount point of the running devfs. */
    public static final String MOUNT_PROPERTY = "devhost.devfs.mount";
    /** Service property: why devfs did not mount in this run (it does not try again until restarted). */
    public static final String FAILED_PROPERTY = "devhost.devfs.failed";
    /** Service property, beside {@link #FAILED_PROPERTY}: the error number (an {@code Integer}). */
    public static final String ERRNO_PROPERTY = "devhost.devfs.errno";
    /** Framework property: the interrupt grace in milliseconds ({@link Config#interrupt_grace_ms}). */
    static final String GRACE_PROPERTY = "devhost.devfs.interrupt_grace_ms";
    /**
     * Framework property: {@code fuse} (the default: requests through {@code /dev/fuse}) or {@code
     * uring} (FUSE over io_uring where the kernel offers it and the HAL can, else {@code /dev/fuse}
     * with the reason in the log and {@code dev:mounts}).
     */
    static final String TRANSPORT_PROPERTY = "devhost.devfs.transport";

    @ObjectClassDefinition(name = "devhost devfs", description = "Every device as a file under a FUSE mount point.")
    public @interface Config {
        @AttributeDefinition(name = "Enabled", description = "Mount devfs (the framework property devhost.devfs=off"
                + " turns it off as well).")
        boolean enabled() default true;

        @AttributeDefinition(name = "Mount point", description = "An empty folder, created when missing. Empty: the"
                + " framework property devhost.devfs.mount, else /run/devhost/dev as root and"
                + " $XDG_RUNTIME_DIR/devhost/dev otherwise.")
        String mount() default "";

        @AttributeDefinition(name = "Allow other users", description = "Let users other than the host's own open the"
                + " files (allow_other); each file's mode still decides. Framework property devhost.devfs.allow_other.")
        boolean allow_other() default false;

        @AttributeDefinition(name = "Most requests in drivers", description = "Requests running driver code at once;"
                + " each holds a server thread (a client blocked in a driver holds one), and further ones get EAGAIN."
                + " Framework property devhost.devfs.threads.")
        int threads() default FuseServer.DEFAULT_THREADS;

        @AttributeDefinition(name = "Most requests in drivers per user", description = "Requests of one user (the"
                + " client's uid) running driver code at once, so that one user's blocked clients never take what"
                + " another's need; further ones get EAGAIN. At most the above. Framework property"
                + " devhost.devfs.user_threads.")
        int user_threads() default FuseServer.DEFAULT_USER_THREADS;

        @AttributeDefinition(name = "Interrupt grace (ms)", description = "How long a request may stay in driver code"
                + " after its client got a signal before devfs answers EINTR for it (the driver's late result is"
                + " dropped), so a driver that ignores interrupts never leaves a client unkillable. Framework"
                + " property devhost.devfs.interrupt_grace_ms.")
        int interrupt_grace_ms() default FuseServer.DEFAULT_GRACE_MS;
    }

    private final Nodes nodes = new Nodes(owner("uid"), owner("gid"));
    @Reference(service = LoggerFactory.class)
    private Logger log;
    @Reference
    private Hal hal;
    @Reference
    private DeviceRegistry registry;
    private volatile FuseServer server;
    private volatile FuseChannel channel;
    private volatile String state = "starting";
    private ServiceRegistration<?> marker;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addDevice(Device device) {
        nodes.add(device);
    }

    void removeDevice(Device device) {
        nodes.remove(device);
    }

    @Activate
    void activate(BundleContext context, Config config) {
        String property = context.getProperty("devhost.devfs");
        if (!config.enabled() || "off".equals(property) || "false".equals(property)) {
            state = "off (devhost.devfs=off)";
            return;
        }
        String mount;
        try {
            mount = !config.mount().isEmpty() ? config.mount()
                    : context.getProperty(MOUNT_PROPERTY) != null ? context.getProperty(MOUNT_PROPERTY) : defaultMount();
        } catch (KernelException e) {
            state = "not mounted: " + e.getMessage();
            log.error("devfs: not mounted: {}", e.getMessage());
            System.err.println("devhost: devfs is not mounted: " + e.getMessage());
            notMounted(context, "devfs is not mounted: " + e.getMessage(), e.errno().number());
            return;
        }
        boolean allowOther = config.allow_other() || "true".equals(context.getProperty("devhost.devfs.allow_other"));
        int threads = number(context, "devhost.devfs.threads", config.threads(), FuseServer.DEFAULT_THREADS);
        int userThreads = number(context, "devhost.devfs.user_threads", config.user_threads(),
                FuseServer.DEFAULT_USER_THREADS);
        long grace = number(context, GRACE_PROPERTY, config.interrupt_grace_ms(), FuseServer.DEFAULT_GRACE_MS);
        FuseChannel c = null;
        try {
            c = hal.mountFuse("devhost", mount, allowOther);
            FuseServer s = new FuseServer(c, nodes, registry, log, threads, userThreads, grace, FuseServer.MAX_ABANDONED);
            String transport = context.getProperty(TRANSPORT_PROPERTY) == null ? "fuse" : context.getProperty(TRANSPORT_PROPERTY);
            if (!transport.equals("fuse") && !transport.equals("uring")) {
                log.warn("devfs: {}={} is none of fuse, uring; fuse is used", TRANSPORT_PROPERTY, transport);
                transport = "fuse";
            }
            s.transport(transport, !"false".equals(context.getProperty("devhost.devfs.uring_pin")));
            s.start();
            channel = c;
            server = s;
            state = "mounted";
            Hashtable<String, Object> props = new Hashtable<>();
            props.put(MOUNT_PROPERTY, c.mountPoint());
            marker = context.registerService(Object.class, new Object(), props);
            log.info("devfs: devices are files under {} (dev:mounts)", c.mountPoint());
            System.out.println("devhost: devices are files under " + c.mountPoint() + " (devfs; dev:mounts)");
        } catch (KernelException e) {
            if (c != null) {
                c.close(); // mounted, but not served: nothing may stay mounted that nobody answers
            }
            state = "not mounted: " + e.getMessage();
            log.error("devfs: not mounted at {}: {}", mount, e.getMessage());
            System.err.println("devhost: devfs is not mounted at " + mount + ": " + e.getMessage()
                    + " (set devhost.devfs.mount=PATH, or devhost.devfs=off)");
            notMounted(context, "devfs is not mounted at " + mount + ": " + e.getMessage()
                    + " (set devhost.devfs.mount=PATH, or devhost.devfs=off)", e.errno().number());
        } catch (RuntimeException e) { // a path the system cannot take, say: still a mount that will not come
            if (c != null) {
                c.close();
            }
            state = "not mounted: " + e;
            log.error("devfs: not mounted at {}", mount, e);
            System.err.println("devhost: devfs is not mounted at " + mount + ": " + e
                    + " (set devhost.devfs.mount=PATH, or devhost.devfs=off)");
            notMounted(context, "devfs is not mounted at " + mount + ": " + e, Errno.EIO.number());
        }
    }

    /**
     * Says to the framework that devfs will not mount in this run: a service with {@link
     * #FAILED_PROPERTY} (why) and {@link #ERRNO_PROPERTY} (the error number), so that what waits for
     * the mount (systemd's READY=1, the systemd bundle) can stop waiting and say why.
     */
    private void notMounted(BundleContext context, String why, int errno) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(FAILED_PROPERTY, why);
        props.put(ERRNO_PROPERTY, errno);
        marker = context.registerService(Object.class, new Object(), props);
    }

    @Deactivate
    void deactivate() {
        if (marker != null) {
            try {
                marker.unregister();
            } catch (IllegalStateException ignored) {
                // the bundle is stopping; gone already
            }
        }
        FuseServer s = server;
        server = null;
        if (s != null) {
            s.stop();
        }
        state = "stopped";
    }

    /**
     * A number setting: the configured value when it differs from its default, else the framework
     * property {@code name} when it is a number (0 to 999999), else the default. A property that
     * is no number is said in the log, and the default used.
     */
    private int number(BundleContext context, String name, int configured, int defaultValue) {
        if (configured != defaultValue) {
            return configured;
        }
        String p = context.getProperty(name);
        if (p == null) {
            return defaultValue;
        }
        if (!p.matches("\\d{1,6}")) {
            log.warn("devfs: {}={} is not a number from 0 to 999999; using {}", name, p, defaultValue);
            return defaultValue;
        }
        return Integer.parseInt(p);
    }

    private static String defaultMount() {
        int uid = owner("uid");
        if (uid == 0) {
            return "/run/devhost/dev";
        }
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        if (runtime != null && runtime.startsWith("/")) {
            return runtime + "/devhost/dev";
        }
        return tmpMountFolder(Path.of("/tmp/devhost-" + uid), uid) + "/devhost/dev";
    }

    /**
     * The host's own folder under {@code /tmp} for the mount point of a host that is not root when
     * {@code XDG_RUNTIME_DIR} is unset: {@code dir} ({@code /tmp/devhost-UID}), made {@code
     * rwx------} when missing. Its name is predictable, and any user may create it first in
     * {@code /tmp}: someone else's folder, or a link, could move the mount or watch who uses it. So
     * an existing one is taken only when it is a real folder (not followed if a link), owned by
     * {@code uid}, and closed to group and others; otherwise the mount is refused (ELOOP, ENOTDIR,
     * EACCES) with what to do. Stateless.
     */
    static Path tmpMountFolder(Path dir, int uid) {
        String instead = "; or set XDG_RUNTIME_DIR, or devhost.devfs.mount=PATH";
        try {
            Files.createDirectory(dir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
        } catch (java.nio.file.FileAlreadyExistsException mayBeOurs) {
            // checked below, as any existing one
        } catch (IOException e) {
            throw new KernelException(org.devhost.kernel.Errno.EACCES, "cannot make devfs's folder " + dir + " (" + e + ")" + instead);
        }
        java.util.Map<String, Object> a;
        try {
            a = Files.readAttributes(dir, "unix:uid,mode", java.nio.file.LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException e) {
            throw new KernelException(org.devhost.kernel.Errno.EACCES, "cannot check devfs's folder " + dir + " (" + e + ")" + instead);
        }
        int mode = (Integer) a.get("mode");
        int owner = (Integer) a.get("uid");
        if ((mode & 0170000) == 0120000) {
            throw new KernelException(org.devhost.kernel.Errno.ELOOP, dir + " is a symbolic link, not devfs's folder (another"
                    + " user may have put it there to move the mount); remove it (rm " + dir + ")" + instead);
        }
        if ((mode & 0170000) != 0040000) {
            throw new KernelException(org.devhost.kernel.Errno.ENOTDIR, dir + " is not a folder; remove it (rm " + dir + ")" + instead);
        }
        if (owner != uid) {
            throw new KernelException(org.devhost.kernel.Errno.EACCES, dir + " belongs to user " + owner + ", not to this host's"
                    + " user (uid " + uid + "): the mount would be in a folder another user controls; have it removed" + instead);
        }
        if ((mode & 077) != 0) {
            throw new KernelException(org.devhost.kernel.Errno.EACCES, dir + " is open to other users (mode "
                    + Integer.toOctalString(mode & 0777) + "); chmod 700 " + dir + instead);
        }
        return dir;
    }

    /** The host's user or group id (the owner of /proc/self). */
    private static int owner(String which) {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:" + which);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** {@code dev:mounts}: the mount point, its options and the request counters. */
    public String mounts() {
        FuseServer s = server;
        FuseChannel c = channel;
        if (s == null || c == null) {
            return "devfs: " + state;
        }
        StringBuilder b = new StringBuilder();
        b.append(String.format("%-28s %-13s %s%n", "MOUNT", "TYPE", "OPTIONS"));
        b.append(String.format("%-28s %-13s %s%s%n", c.mountPoint(), "fuse.devhost", c.options(),
                c.viaHelper() ? " (by fusermount3)" : ""));
        b.append(String.format("files %d, open %d, server threads %d (most %d, in drivers %d), protocol %d.%d (kernel"
                + " offered 7.%d)%n", nodes.size(), s.openFiles(), s.threads(), s.mostThreads(), s.busyThreads(), Fuse.MAJOR,
                Math.min(Fuse.MINOR, s.kernelMinor()), s.kernelMinor()));
        b.append("transport: ").append(s.transport()).append(System.lineSeparator());
        StringJoiner counts = new StringJoiner(", ", "requests: ", "");
        for (int op = 0; op < s.requests.length; op++) {
            long n = s.requests[op].sum();
            if (n > 0) {
                counts.add(Fuse.opcodeName(op) + " " + n);
            }
        }
        b.append(counts).append(System.lineSeparator());
        b.append(String.format("errors %d, interrupted %d, poll wake-ups %d, refused (EAGAIN at a bound) %d%n",
                s.errors.sum(), s.interrupted.sum(), s.pollWakeups.sum(), s.refused.sum()));
        b.append(String.format("answered for stuck drivers %d (late replies dropped %d), threads abandoned in drivers %d",
                s.answeredForDrivers.sum(), s.lateReplies.sum(), s.abandonedThreads()));
        return b.toString();
    }
}
