package org.devhost.fleet;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.devhost.kernel.Device;
import org.devhost.kernel.ModuleManager;
import org.devhost.kernel.ModuleParameters;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The host as a Sparkplug B edge node (section 15 of ARCHITECTURE.md): runs only while the
 * configuration {@value #PID} exists ({@code conf/org.devhost.fleet.cfg}); a change of it ends the
 * session (with its death certificate) and starts a new one. The work is the {@link Session}'s, on
 * its own threads; this component only hands it the kernel's events (a device added or removed, a
 * module crashed or restarted), which wake it and never wait.
 */
@Component(configurationPid = EdgeNode.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true,
        property = {EventConstants.EVENT_TOPIC + "=" + Device.TOPIC_ADDED, EventConstants.EVENT_TOPIC + "=" + Device.TOPIC_REMOVED,
                EventConstants.EVENT_TOPIC + "=" + EdgeNode.MODULE_TOPICS})
@Designate(ocd = FleetConfig.class)
public final class EdgeNode implements EventHandler {
    static final String PID = "org.devhost.fleet";
    /** The supervisor's events: CRASHED, HUNG, RESTARTING, RESTARTED, FAILED (ARCHITECTURE.md section 7). */
    static final String MODULE_TOPICS = "org/devhost/module/*";

    private final Logger log;
    private final Session session;

    @Activate
    public EdgeNode(@Reference ModuleManager modules, @Reference ModuleParameters parameters,
            @Reference(service = LoggerFactory.class) Logger log,
            BundleContext context, FleetConfig config) {
        this.log = log;
        Settings settings;
        try {
            settings = Settings.of(config, hostName());
        } catch (IllegalArgumentException e) {
            log.error("fleet: {} ({}); the edge node is off", e.getMessage(), PID);
            this.session = null;
            return;
        }
        String version = String.valueOf(FrameworkUtil.getBundle(ModuleManager.class) != null
                ? FrameworkUtil.getBundle(ModuleManager.class).getVersion() : context.getBundle().getVersion());
        this.session = new Session(settings, new HostView(context, modules), modules, parameters, log, version);
        session.start();
    }

    @Override
    public void handleEvent(Event event) {
        Session s = session;
        if (s != null) {
            s.wake();
        }
    }

    @Deactivate
    void deactivate() {
        if (session != null) {
            session.stop();
        }
    }

    /**
     * This machine's name, as the kernel has it ({@code /proc/sys/kernel/hostname}: no name
     * service asked), else the JDK's; the characters a Sparkplug id may not hold become {@code _}.
     */
    static String hostName() {
        String name;
        try {
            name = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        } catch (IOException | RuntimeException e) {
            try {
                name = InetAddress.getLocalHost().getHostName();
            } catch (IOException e2) {
                name = "devhost";
            }
        }
        name = name.replaceAll("[+/#\\p{Cntrl}]", "_");
        return name.isEmpty() ? "devhost" : name;
    }
}
