package org.devhost.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Optional;
import java.util.Set;

/**
 * What hot deploy may load. A file in the deploy folder loads as code and a file in the
 * configuration folder configures the HAL and the drivers, so each is as powerful as the host's
 * user; only that user may have put it there.
 *
 * <ul>
 *   <li>driver jars ({@code .jar}) load from the deploy folder only, configuration files ({@code
 *       .cfg}) from the configuration folder only;
 *   <li>the file (a regular file, not a link) and its folder are owned by the host's user, and
 *       neither is writable by the group or by others;
 *   <li>nothing loads from any other folder.
 * </ul>
 *
 * <p>Immutable; thread-safe.
 *
 * @param deploy the driver folder, absolute
 * @param conf the configuration folder, absolute
 * @param owner the user the host runs as
 */
public record DeployRules(Path deploy, Path conf, String owner) {

    /** Why this file must not load, or empty when it may. */
    public Optional<String> refusal(Path file) {
        String name = file.getFileName().toString();
        Path folder = file.toAbsolutePath().getParent();
        boolean jar = name.endsWith(".jar");
        boolean cfg = name.endsWith(".cfg");
        if (jar && !folder.equals(deploy)) {
            return Optional.of("a driver jar loads from the deploy folder " + deploy + " only");
        }
        if (cfg && !folder.equals(conf)) {
            return Optional.of("a configuration file loads from the configuration folder " + conf + " only");
        }
        if (!folder.equals(deploy) && !folder.equals(conf)) {
            return Optional.of("hot deploy loads only from " + deploy + " and " + conf);
        }
        if (Files.isSymbolicLink(file)) {
            // a link's target could sit in a folder others write, and change after this check
            return Optional.of("it is a symbolic link; copy the file itself into " + folder);
        }
        Optional<String> f = unsafe(folder, "its folder");
        return f.isPresent() ? f : unsafe(file, "the file");
    }

    /** Why a folder or file is not the host user's alone, or empty when it is. */
    public Optional<String> unsafe(Path p, String what) {
        PosixFileAttributes a;
        try {
            a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.of(what + " " + p + " cannot be checked (" + e.getMessage() + ")");
        }
        if (!a.owner().getName().equals(owner)) {
            return Optional.of(what + " " + p + " is owned by " + a.owner().getName() + ", not by " + owner
                    + ", the user the host runs as");
        }
        Set<PosixFilePermission> perms = a.permissions();
        if (perms.contains(PosixFilePermission.OTHERS_WRITE)) {
            return Optional.of(what + " " + p + " is writable by every user (chmod o-w " + p + ")");
        }
        if (perms.contains(PosixFilePermission.GROUP_WRITE)) {
            return Optional.of(what + " " + p + " is writable by its group (chmod g-w " + p + ")");
        }
        return Optional.empty();
    }
}
