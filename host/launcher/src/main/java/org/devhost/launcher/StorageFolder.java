package org.devhost.launcher;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The framework's storage folder (its bundle cache), which the host empties at every start so
 * that each run begins from the distribution. Two things make that safe:
 *
 * <ul>
 *   <li>Emptying a folder is only safe when it is the host's own: a mistyped {@code
 *       org.osgi.framework.storage=$HOME} must not cost anyone their home. The host marks a folder
 *       it creates (or finds empty) with the file {@value #MARKER}, and empties only folders that
 *       carry that mark; a folder that exists, is not empty and carries no mark is refused.
 *   <li>The framework loads the bundle revisions cached there, again at every refresh, so whoever
 *       may write the folder runs code as the host. It follows the rule of {@code deploy/} and
 *       {@code conf/} ({@link HostFolders#notTheUsersAlone}): owned by the host's user and writable
 *       by nobody else, else refused with what to do; the host then makes it {@code rwx------}.
 * </ul>
 *
 * <p>The folder is opened once, without following a link, and everything after (its owner and
 * mode, the mark, the deletions, the mark's rewrite) goes through that descriptor ({@link
 * SecureDirectoryStream}, {@code openat}/{@code unlinkat}): a link inside, at any depth, is removed
 * and never followed, even one swapped in for a folder while it is being emptied. Stateless.
 */
final class StorageFolder {
    static final String MARKER = ".devhost-storage";
    private static final Path MARK = Path.of(MARKER);

    private StorageFolder() {}

    /** Makes {@code dir} an empty storage folder of the host's, or throws saying why it will not. */
    static void prepare(Path dir) throws IOException {
        prepare(dir, System.getProperty("user.name"));
    }

    /** As {@link #prepare(Path)}, for a host that runs as {@code user}. */
    static void prepare(Path dir, String user) throws IOException {
        Path d = dir.toAbsolutePath().normalize();
        Path parent = d.getParent();
        if (parent == null) {
            throw new IOException("the framework storage cannot be " + d + "; give a folder of its own (EINVAL)");
        }
        if (Files.isSymbolicLink(d)) {
            throw new IOException("the framework storage " + d + " is a symbolic link; give a real folder (ELOOP)");
        }
        Files.createDirectories(parent);
        try {
            Files.createDirectory(d, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (FileAlreadyExistsException existing) {
            // checked below, through the descriptor that is then emptied
        }
        try (DirectoryStream<Path> up = Files.newDirectoryStream(parent)) {
            if (!(up instanceof SecureDirectoryStream<Path> parentDir)) {
                throw new IOException("the framework storage " + d + " cannot be emptied safely here (the file system"
                        + " offers no secure folder access); give a folder on a local Linux file system (EOPNOTSUPP)");
            }
            PosixFileAttributes a = parentDir.getFileAttributeView(d.getFileName(), PosixFileAttributeView.class,
                    LinkOption.NOFOLLOW_LINKS).readAttributes();
            if (a.isSymbolicLink()) {
                throw new IOException("the framework storage " + d + " is a symbolic link; give a real folder (ELOOP)");
            }
            if (!a.isDirectory()) {
                throw new IOException("the framework storage " + d + " is not a folder (ENOTDIR)");
            }
            SecureDirectoryStream<Path> opened;
            try {
                opened = parentDir.newDirectoryStream(d.getFileName(), LinkOption.NOFOLLOW_LINKS);
            } catch (FileSystemException swapped) {
                throw new IOException("the framework storage " + d + " changed while it was checked (" + swapped.getMessage()
                        + "); give a folder that is yours alone (EAGAIN)");
            }
            try (SecureDirectoryStream<Path> storage = opened) {
                prepareOpened(d, storage, user);
            }
        }
    }

    /** The checks, the emptying and the mark, all on the opened folder {@code storage} (which is {@code d}). */
    private static void prepareOpened(Path d, SecureDirectoryStream<Path> storage, String user) throws IOException {
        PosixFileAttributeView self = storage.getFileAttributeView(PosixFileAttributeView.class);
        Optional<String> why = HostFolders.notTheUsersAlone(d, self.readAttributes(), user);
        if (why.isPresent()) {
            throw new IOException("the framework storage " + why.get() + "; the framework loads code from it, so it"
                    + " must be the host user's alone (EACCES)");
        }
        List<Path> entries = names(storage);
        boolean marked = entries.contains(MARK) && attributes(storage, MARK).map(BasicFileAttributes::isRegularFile).orElse(false);
        if (!marked && !entries.isEmpty()) {
            throw new IOException("the framework storage " + d + " is not empty and was not made by devhost (no "
                    + MARKER + " in it); the host empties its storage at every start, so it will not use this"
                    + " folder: give a new or empty one (org.osgi.framework.storage=<folder>) (ENOTEMPTY)");
        }
        // Closed to others before anything is cached in it; fchmod on the opened folder.
        self.setPermissions(PosixFilePermissions.fromString("rwx------"));
        for (Path name : entries) {
            if (!name.equals(MARK)) {
                delete(storage, name);
            }
        }
        if (marked) {
            storage.deleteFile(MARK); // rewritten below with this host's mode, never through a link
        }
        try (SeekableByteChannel c = storage.newByteChannel(MARK, Set.of(StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            c.write(ByteBuffer.wrap("devhost framework storage: emptied at every start of the host\n"
                    .getBytes(StandardCharsets.UTF_8)));
        }
    }

    /** The names in a folder (relative, one element each). */
    private static List<Path> names(SecureDirectoryStream<Path> dir) {
        List<Path> names = new ArrayList<>();
        for (Path p : dir) {
            names.add(p.getFileName());
        }
        return names;
    }

    private static Optional<BasicFileAttributes> attributes(SecureDirectoryStream<Path> dir, Path name) throws IOException {
        try {
            return Optional.of(dir.getFileAttributeView(name, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .readAttributes());
        } catch (NoSuchFileException gone) {
            return Optional.empty();
        }
    }

    /**
     * Deletes the entry {@code name} of {@code dir}: a folder's tree through its own descriptor,
     * anything else (a link included) by unlinking the entry itself. A folder opened without
     * following links cannot be a link, so a folder swapped for a link after its check fails to
     * open and is then unlinked as the link it has become.
     */
    private static void delete(SecureDirectoryStream<Path> dir, Path name) throws IOException {
        Optional<BasicFileAttributes> a = attributes(dir, name);
        if (a.isEmpty()) {
            return;
        }
        if (a.get().isDirectory()) {
            SecureDirectoryStream<Path> sub;
            try {
                sub = dir.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException gone) {
                return;
            } catch (FileSystemException notAFolderAnyMore) {
                dir.deleteFile(name);
                return;
            }
            try (SecureDirectoryStream<Path> s = sub) {
                for (Path child : names(s)) {
                    delete(s, child);
                }
            }
            dir.deleteDirectory(name);
        } else {
            dir.deleteFile(name);
        }
    }
}
