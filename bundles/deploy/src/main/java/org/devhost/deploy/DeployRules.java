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

    /** At most this many bytes load from one file (a driver jar is far smaller). */
    public static final int MAX_BYTES = 64 << 20;
    /** What {@link #read} compares before and after reading: which file, and any change to it. */
    private static final String STATE = "unix:dev,ino,mode,uid,gid,size,lastModifiedTime,ctime,isRegularFile";

    /** A file that must not load; the message says why and what to do. */
    public static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        public Refused(String why) {
            super(why, null, false, false);
        }
    }

    /**
     * The bytes of {@code file} when it may load, read from the very file that was checked: its
     * state (device, inode, owner, mode, size, modification and change times) is read without
     * following a link before the check and again after the bytes, and must not have moved. The
     * change time moves with every write, {@code chmod}, {@code chown} and rename, so equal states
     * mean that the bytes returned were in the file the whole time it passed {@link #refusal}; a
     * file that changed meanwhile (a copy still being written) is refused, and its next change is
     * looked at again. The file is opened with {@code O_NOFOLLOW}.
     *
     * @throws Refused why it must not load (the same sentences as {@link #refusal})
     */
    public byte[] read(Path file) throws Refused {
        java.util.Map<String, Object> before = state(file);
        Optional<String> why = refusal(file);
        if (why.isPresent()) {
            throw new Refused(why.get());
        }
        if (!Boolean.TRUE.equals(before.get("isRegularFile"))) {
            throw new Refused("it is not a regular file; copy the file itself into " + file.toAbsolutePath().getParent());
        }
        byte[] bytes;
        try (java.io.InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            bytes = in.readNBytes(MAX_BYTES + 1);
        } catch (IOException e) {
            throw new Refused("the file " + file + " cannot be read (" + e.getMessage() + ")");
        }
        if (bytes.length > MAX_BYTES) {
            throw new Refused("the file " + file + " is larger than " + (MAX_BYTES >> 20) + " MiB");
        }
        if (!before.equals(state(file))) {
            throw new Refused("the file " + file + " changed while it was checked and read; it is looked at again"
                    + " at its next change (copy it under another name and move it into place)");
        }
        return bytes;
    }

    private static java.util.Map<String, Object> state(Path file) throws Refused {
        try {
            return Files.readAttributes(file, STATE, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            throw new Refused("the file " + file + " cannot be checked (" + e.getMessage() + ")");
        }
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
