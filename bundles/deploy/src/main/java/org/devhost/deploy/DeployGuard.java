package org.devhost.deploy;

import java.io.File;
import java.nio.file.Path;
import java.util.Optional;
import org.apache.felix.fileinstall.ArtifactInstaller;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

/**
 * Stands in front of FileInstall: it claims every file of the deploy and configuration folders
 * that {@link DeployRules} refuses, so FileInstall hands that file to it instead of installing it,
 * and it logs why (a line in {@code dev:dmesg}). Files it does not claim go on to FileInstall's own
 * installers. FileInstall asks the installer with the highest service ranking first.
 *
 * <p>Folders come from the framework properties {@code devhost.deploy} and {@code devhost.conf}
 * (the launcher sets both, absolute); the host's user is the JVM's. A refused file is not looked at
 * again until it changes: fix it, then copy it again. Thread-safe (immutable rules).
 */
@Component(service = ArtifactInstaller.class, immediate = true, property = Constants.SERVICE_RANKING + ":Integer=2147483647")
public final class DeployGuard implements ArtifactInstaller {
    private final DeployRules rules;
    private final Logger log;

    @Activate
    public DeployGuard(BundleContext context, @Reference(service = LoggerFactory.class) Logger log) {
        this.log = log;
        this.rules = new DeployRules(folder(context, "devhost.deploy"), folder(context, "devhost.conf"),
                System.getProperty("user.name"));
    }

    private static Path folder(BundleContext context, String property) {
        String v = context.getProperty(property);
        return v == null ? Path.of("/nonexistent/" + property) : Path.of(v).toAbsolutePath().normalize();
    }

    @Override
    public boolean canHandle(File artifact) {
        Optional<String> why = rules.refusal(artifact.toPath());
        if (why.isPresent()) {
            log.warn("hot deploy refused {}: {}; nothing was loaded (fix it, then copy the file again)", artifact, why.get());
            return true;
        }
        return false;
    }

    @Override
    public void install(File artifact) {
        // claimed in canHandle so that nothing else installs it; the refusal is logged there
    }

    @Override
    public void update(File artifact) {
        // as install
    }

    @Override
    public void uninstall(File artifact) {
        // nothing was installed
    }
}
