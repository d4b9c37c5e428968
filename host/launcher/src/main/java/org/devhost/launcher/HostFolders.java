package org.devhost.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * The hot-deploy folders: {@code deploy/} for driver jars and {@code conf/} for configuration
 * files, each absolute. Whatever is in them runs or configures the host as its user, so the
 * launcher turns hot deploy off (and says why) unless each folder is the host user's alone: a
 * real folder (no link), owned by that user, writable by neither its group nor others. A missing
 * folder is created that way. The per-file check of the same rule runs in the host
 * ({@code org.devhost.deploy}). Stateless.
 */
final class HostFolders {
    private HostFolders() {}

    /**
     * The rule every folder the host loads from follows (deploy/, conf/, the framework storage):
     * owned by the host's user and writable by neither its group nor others. Returns why the
     * folder with attributes {@code a} breaks it, with what to do, or empty.
     */
    static Optional<String> notTheUsersAlone(Path dir, PosixFileAttributes a, String user) {
        String owner = a.owner().getName();
        if (!owner.equals(user)) {
            return Optional.of(dir + " is owned by " + owner + ", not by " + user + ", the user the host runs as"
                    + " (chown " + user + " " + dir + ", or give a folder of " + user + "'s)");
        }
        if (a.permissions().contains(PosixFilePermission.OTHERS_WRITE)) {
            return Optional.of(dir + " is writable by every user (chmod o-w " + dir + ")");
        }
        if (a.permissions().contains(PosixFilePermission.GROUP_WRITE)) {
            return Optional.of(dir + " is writable by its group (chmod g-w " + dir + ")");
        }
        return Optional.empty();
    }

    /** Creates {@code dir} (rwxr-xr-x) when missing; returns why it must not be used, or empty. */
    static Optional<String> prepare(Path dir, String user) {
        if (!dir.isAbsolute()) {
            return Optional.of(dir + " is not an absolute path");
        }
        try {
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            }
            PosixFileAttributes a = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (a.isSymbolicLink()) {
                return Optional.of(dir + " is a symbolic link; give the real folder");
            }
            if (!a.isDirectory()) {
                return Optional.of(dir + " is not a folder");
            }
            return notTheUsersAlone(dir, a, user);
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.of(dir + " cannot be made or checked (" + e.getMessage() + ")");
        }
    }
}
