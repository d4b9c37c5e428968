package org.devhost.launcher;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.stream.Stream;

/**
 * The framework's storage folder (its bundle cache), which the host empties at every start so
 * that each run begins from the distribution. Emptying a folder is only safe when it is the
 * host's own: a mistyped {@code org.osgi.framework.storage=$HOME} must not cost anyone their home.
 *
 * <p>Rule: the host marks a folder it creates (or finds empty) with the file {@value #MARKER}, and
 * empties only folders that carry that mark, never following links out of them. A folder that
 * exists, is not empty and carries no mark is refused. Stateless.
 */
final class StorageFolder {
    static final String MARKER = ".devhost-storage";

    private StorageFolder() {}

    /** Makes {@code dir} an empty storage folder of the host's, or throws saying why it will not. */
    static void prepare(Path dir) throws IOException {
        Path d = dir.toAbsolutePath().normalize();
        if (Files.isSymbolicLink(d)) {
            throw new IOException("the framework storage " + d + " is a symbolic link; give a real folder");
        }
        if (!Files.exists(d)) {
            Files.createDirectories(d);
        } else if (!Files.isDirectory(d)) {
            throw new IOException("the framework storage " + d + " is not a folder");
        } else if (!Files.isRegularFile(d.resolve(MARKER), java.nio.file.LinkOption.NOFOLLOW_LINKS) && !isEmpty(d)) {
            throw new IOException("the framework storage " + d + " is not empty and was not made by devhost (no "
                    + MARKER + " in it); the host empties its storage at every start, so it will not use this"
                    + " folder: give a new or empty one (org.osgi.framework.storage=<folder>)");
        }
        try (Stream<Path> s = Files.list(d)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (!p.getFileName().toString().equals(MARKER)) {
                    deleteTree(p);
                }
            }
        }
        Files.writeString(d.resolve(MARKER), "devhost framework storage: emptied at every start of the host\n");
    }

    private static boolean isEmpty(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.findAny().isEmpty();
        }
    }

    /** Deletes a file or a folder's tree; a link is deleted itself, never followed. */
    private static void deleteTree(Path p) throws IOException {
        Files.walkFileTree(p, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
