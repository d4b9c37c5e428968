package org.devhost.deploy;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Collection;
import java.util.List;
import org.apache.felix.fileinstall.ArtifactInstaller;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

/**
 * Hot deploy's only installer: FileInstall hands it every file of the deploy and configuration
 * folders, new or changed, and it checks each one ({@link DeployRules}) every time, and installs
 * only the bytes it checked.
 *
 * <p>Why it claims every file. FileInstall asks its installers (highest service ranking first)
 * about a <em>new</em> file only; a file it has seen before goes straight to the installer that
 * took it the first time. A guard that only refused would therefore see each file once: a file
 * accepted once, then opened to others and rewritten, would be reloaded unchecked. So this guard
 * takes every file ({@link #canHandle} is true), and FileInstall calls its {@link #install},
 * {@link #update} and {@link #uninstall} for every change. Each install and update reads the file
 * through {@link DeployRules#read} (checked and read as one file, with no link followed) and then:
 *
 * <ul>
 *   <li>a driver jar is installed or updated from those bytes, under the file's URL as its
 *       location, started, and refreshed after an update;
 *   <li>a configuration file's bytes are copied into this bundle's private folder (in the
 *       framework storage, which only the host's user may enter) and FileInstall's own
 *       configuration installer applies that copy, so {@code .cfg} keeps FileInstall's format, and
 *       changes saved through Configuration Admin are written back into the copy.
 * </ul>
 *
 * A refused file is logged (a line in {@code dev:dmesg}) and nothing changes: what was loaded from
 * it before stays. It is looked at again at its next change. A deleted file unloads what came from
 * it, checked or not (removing never loads anything).
 *
 * <p>Folders come from the framework properties {@code devhost.deploy} and {@code devhost.conf}
 * (the launcher sets both, absolute); the host's user is the JVM's. Thread-safe: FileInstall calls
 * from its watcher threads, one per folder; the rules are immutable and each file's state lives in
 * the framework (its bundle) or Configuration Admin (its configuration).
 */
@Component(service = ArtifactInstaller.class, immediate = true, property = Constants.SERVICE_RANKING + ":Integer=2147483647")
public final class DeployGuard implements ArtifactInstaller {
    private final BundleContext context;
    private final DeployRules rules;
    private final Logger log;

    @Activate
    public DeployGuard(BundleContext context, @Reference(service = LoggerFactory.class) Logger log) {
        this.context = context;
        this.log = log;
        this.rules = new DeployRules(folder(context, "devhost.deploy"), folder(context, "devhost.conf"),
                System.getProperty("user.name"));
    }

    private static Path folder(BundleContext context, String property) {
        String v = context.getProperty(property);
        return v == null ? Path.of("/nonexistent/" + property) : Path.of(v).toAbsolutePath().normalize();
    }

    /**
     * Every file is this guard's, so that FileInstall brings each of its changes here. One
     * exception: a configuration file while Configuration Admin (and with it FileInstall's
     * configuration installer) is not running; FileInstall then keeps the file and asks again at
     * its next scan, instead of the guard dropping it.
     */
    @Override
    public boolean canHandle(File artifact) {
        return !isConfiguration(artifact) || configurationInstaller() != null;
    }

    @Override
    public void install(File artifact) {
        apply(artifact, false);
    }

    @Override
    public void update(File artifact) {
        apply(artifact, true);
    }

    @Override
    public void uninstall(File artifact) {
        if (isConfiguration(artifact)) {
            removeConfiguration(artifact);
        } else {
            Bundle b = context.getBundle(location(artifact));
            if (b != null) {
                try {
                    b.uninstall();
                    refresh(b);
                    log.info("hot deploy unloaded {} (bundle {}), its file is gone", artifact, b.getBundleId());
                } catch (BundleException | IllegalStateException e) {
                    log.error("hot deploy could not unload {} (bundle {}): {}", artifact, b.getBundleId(), e.getMessage());
                }
            }
        }
    }

    private void apply(File artifact, boolean update) {
        byte[] bytes;
        try {
            bytes = rules.read(artifact.toPath());
        } catch (DeployRules.Refused why) {
            log.warn("hot deploy refused {}: {}; nothing was loaded{} (fix it, then copy the file again)", artifact,
                    why.getMessage(), update ? ", and what was loaded from it before stays" : "");
            return;
        }
        if (isConfiguration(artifact)) {
            applyConfiguration(artifact, bytes);
        } else {
            applyBundle(artifact, bytes);
        }
    }

    private static boolean isConfiguration(File artifact) {
        return artifact.getName().endsWith(".cfg");
    }

    /** FileInstall's location for a file (what its own bundle installs use). */
    private static String location(File artifact) {
        return artifact.getAbsoluteFile().toURI().toString();
    }

    private void applyBundle(File artifact, byte[] bytes) {
        String location = location(artifact);
        Bundle b = context.getBundle(location);
        try {
            if (b == null) {
                b = context.installBundle(location, new ByteArrayInputStream(bytes));
                if (b.getHeaders("").get(Constants.FRAGMENT_HOST) == null) {
                    b.start(Bundle.START_ACTIVATION_POLICY);
                }
                log.info("hot deploy loaded {} (bundle {})", artifact, b.getBundleId());
            } else {
                b.update(new ByteArrayInputStream(bytes)); // an active bundle is stopped and started again
                refresh(b);
                log.info("hot deploy updated {} (bundle {})", artifact, b.getBundleId());
            }
        } catch (BundleException | IllegalStateException e) {
            log.error("hot deploy could not load {}: {}", artifact, e.getMessage());
        }
    }

    /** Drops the old revision of an updated or uninstalled bundle, and rewires what used it. */
    private void refresh(Bundle b) {
        context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION).adapt(FrameworkWiring.class).refreshBundles(List.of(b));
    }

    /**
     * The checked copy of a configuration file: this bundle's folder {@code conf/} in the framework
     * storage, the same name (FileInstall reads the PID from it), rwx------ and rw------- (r--------
     * when the file was read-only for its owner, which FileInstall turns into a read-only
     * configuration).
     */
    private Path copyOf(File artifact) throws IOException {
        File data = context.getDataFile("conf");
        if (data == null) {
            throw new IOException("the framework gives this bundle no storage for the checked copy");
        }
        Path dir = data.toPath();
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        return dir.resolve(artifact.getName());
    }

    private void applyConfiguration(File artifact, byte[] bytes) {
        ArtifactInstaller installer = configurationInstaller();
        if (installer == null) {
            log.warn("hot deploy cannot apply {} now: Configuration Admin is not running; it is applied at its next change",
                    artifact);
            return;
        }
        try {
            Path copy = copyOf(artifact);
            boolean readOnly = !Files.getPosixFilePermissions(artifact.toPath(), LinkOption.NOFOLLOW_LINKS)
                    .contains(PosixFilePermission.OWNER_WRITE);
            Path part = copy.resolveSibling("." + copy.getFileName() + ".part");
            Files.deleteIfExists(part);
            Files.write(part, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            Files.setPosixFilePermissions(part, PosixFilePermissions.fromString(readOnly ? "r--------" : "rw-------"));
            Files.move(part, copy, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            installer.update(copy.toFile()); // FileInstall's install and update of a .cfg are the same
            log.info("hot deploy applied {}", artifact);
        } catch (Exception e) {
            log.error("hot deploy could not apply {}: {}", artifact, e.toString());
        }
    }

    /** Deletes the configuration that came from {@code artifact}; nothing when none did (it was refused). */
    private void removeConfiguration(File artifact) {
        try {
            Path copy = copyOf(artifact);
            if (!Files.exists(copy, LinkOption.NOFOLLOW_LINKS)) {
                return; // never applied: a configuration of the same PID made otherwise is not this file's
            }
            ArtifactInstaller installer = configurationInstaller();
            if (installer != null) {
                installer.uninstall(copy.toFile());
            }
            Files.deleteIfExists(copy);
            log.info("hot deploy removed the configuration of {}, its file is gone", artifact);
        } catch (Exception e) {
            log.error("hot deploy could not remove the configuration of {}: {}", artifact, e.toString());
        }
    }

    /**
     * FileInstall's configuration installer (registered by FileInstall's bundle while
     * Configuration Admin runs, the installer there that takes {@code .cfg} files), or null.
     */
    private ArtifactInstaller configurationInstaller() {
        Collection<ServiceReference<ArtifactInstaller>> refs;
        try {
            refs = context.getServiceReferences(ArtifactInstaller.class, null);
        } catch (InvalidSyntaxException | IllegalStateException e) {
            return null;
        }
        File probe = new File("probe.cfg");
        for (ServiceReference<ArtifactInstaller> ref : refs) {
            Bundle owner = ref.getBundle();
            if (owner == null || !"org.apache.felix.fileinstall".equals(owner.getSymbolicName())) {
                continue; // FileInstall's own only: the files are in its .cfg format
            }
            ArtifactInstaller installer = context.getService(ref);
            if (installer == null) {
                continue;
            }
            try {
                if (installer.canHandle(probe)) {
                    return installer;
                }
            } finally {
                // FileInstall holds its own; the object stays valid while its bundle runs
                context.ungetService(ref);
            }
        }
        return null;
    }
}
