package org.devhost.kernel.impl.module;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;

/**
 * A driver jar that the module manager may load, read into memory once and checked there: the bytes
 * installed are the bytes checked, so a file swapped after the check is never loaded.
 *
 * <p>Rules: a local file (a path, or a {@code file:} URL) loads as it is; a remote location
 * ({@code http:}, {@code https:}, anything else) loads only with a pinned SHA-256 ({@code
 * --sha256}), because fetching code from a network without knowing what it is would run whatever
 * that network sends as the host's user. A given SHA-256 is checked for local files too. The jar
 * must carry a {@code Bundle-SymbolicName}. At most {@link #MAX_BYTES}. Immutable.
 *
 * @param location the bundle location to install under (a file: URL for local files)
 * @param symbolicName its {@code Bundle-SymbolicName}, without directives
 * @param version its {@code Bundle-Version} (0.0.0 when absent)
 */
record DriverJar(String location, byte[] bytes, String symbolicName, org.osgi.framework.Version version) {
    static final int MAX_BYTES = 64 << 20;
    /** Connect and read bound of a remote fetch. */
    static final int FETCH_TIMEOUT_MS = 30_000;

    /** This jar's stand-in for a module run in a process of its own (see IsolatedJar), under the same location. */
    DriverJar isolated(String heap) {
        return new DriverJar(location, org.devhost.kernel.impl.isolation.IsolatedJar.wrap(bytes, heap), symbolicName, version);
    }

    /** Whether the jar asks to run in a process of its own ({@code Devhost-Isolation: process}), unless a policy says otherwise. */
    boolean asksForIsolation() {
        String v = manifest(location, bytes).getMainAttributes().getValue(org.devhost.kernel.impl.isolation.IsolatedJar.HEADER);
        return v != null && v.trim().equals("process");
    }

    /**
     * The module's name as its {@code devhost.module} capability gives it, read from the manifest
     * before anything is installed (a policy is looked up by it); empty when there is none.
     */
    java.util.Optional<String> moduleName() {
        String caps = manifest(location, bytes).getMainAttributes().getValue("Provide-Capability");
        if (caps == null) {
            return java.util.Optional.empty();
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?:^|,)\\s*devhost\\.module\\s*;[^,]*?\\bdevhost\\.module\\s*(?::\\s*String)?\\s*=\\s*\"?([^\";,]+)").matcher(caps);
        return m.find() ? java.util.Optional.of(m.group(1).trim()) : java.util.Optional.empty();
    }

    static DriverJar read(String jar, String sha256) {
        if (jar == null) {
            throw new KernelException(Errno.EINVAL, "no jar given (a path, or a URL with --sha256)");
        }
        String pinned = sha256 == null || sha256.isEmpty() ? null : sha256.toLowerCase(Locale.ROOT);
        if (pinned != null && !pinned.matches("[0-9a-f]{64}")) {
            throw new KernelException(Errno.EINVAL, "--sha256 '" + sha256 + "' is not 64 hex digits");
        }
        boolean local = !jar.contains(":") || jar.startsWith("/") || jar.startsWith("file:");
        String location;
        byte[] bytes;
        if (local) {
            Path p;
            try {
                p = jar.startsWith("file:") ? Path.of(URI.create(jar)) : Path.of(jar).toAbsolutePath();
            } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
                throw new KernelException(Errno.EINVAL, jar + " is not a path or a file: URL ("
                        + e.getMessage() + "); give a path such as /path/to/driver.jar");
            }
            if (!Files.isRegularFile(p)) {
                throw new KernelException(Errno.ENOENT, jar);
            }
            location = p.toUri().toString();
            try (InputStream in = Files.newInputStream(p)) {
                bytes = readBounded(jar, in);
            } catch (IOException e) {
                throw new KernelException(Errno.EIO, jar + ": cannot read it (" + e.getMessage() + ")");
            }
        } else {
            if (pinned == null) {
                throw new KernelException(Errno.EACCES, jar + ": a remote driver loads only with its"
                        + " SHA-256 pinned (dev:insmod --sha256 <hex> " + jar + "); or copy the jar here and give its path");
            }
            location = jar;
            try {
                java.net.URLConnection c = new URL(jar).openConnection();
                c.setConnectTimeout(FETCH_TIMEOUT_MS); // a fetch that hangs must not hang the shell
                c.setReadTimeout(FETCH_TIMEOUT_MS);
                try (InputStream in = c.getInputStream()) {
                    bytes = readBounded(jar, in);
                }
            } catch (IllegalArgumentException e) {
                throw new KernelException(Errno.EINVAL, jar + " is not a URL (" + e.getMessage() + ")");
            } catch (IOException e) {
                throw new KernelException(Errno.EIO, jar + ": cannot fetch it (" + e + ")");
            }
        }
        if (pinned != null) {
            String actual = sha256(bytes);
            if (!actual.equals(pinned)) {
                throw new KernelException(Errno.EACCES, jar + ": SHA-256 is " + actual + ", not the pinned "
                        + pinned + "; nothing was loaded");
            }
        }
        Manifest mf = manifest(jar, bytes);
        String bsn = mf.getMainAttributes().getValue("Bundle-SymbolicName").split(";")[0].trim();
        String v = mf.getMainAttributes().getValue("Bundle-Version");
        org.osgi.framework.Version version;
        try {
            version = org.osgi.framework.Version.parseVersion(v == null ? null : v.trim());
        } catch (IllegalArgumentException e) {
            throw new KernelException(Errno.EINVAL, jar + ": Bundle-Version '" + v + "' is not a version");
        }
        return new DriverJar(location, bytes, bsn, version);
    }

    /** Whether {@code b} is this jar already installed: the same file, or the same name and version. */
    boolean isInstalledAs(org.osgi.framework.Bundle b) {
        if (symbolicName.equals(b.getSymbolicName()) && version.equals(b.getVersion())) {
            return true;
        }
        return samePath(location, b.getLocation());
    }

    /** file:/x and file:///x are one file; so are a path and a link to it. */
    private static boolean samePath(String a, String b) {
        try {
            if (a.startsWith("file:") && b.startsWith("file:")) {
                return Files.isSameFile(Path.of(URI.create(a)), Path.of(URI.create(b)));
            }
        } catch (IOException | IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
            return a.equals(b);
        }
        return a.equals(b);
    }

    InputStream stream() {
        return new ByteArrayInputStream(bytes);
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static byte[] readBounded(String jar, InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] b = new byte[64 * 1024];
        for (int n; (n = in.read(b)) > 0;) {
            if (out.size() + n > MAX_BYTES) {
                throw new KernelException(Errno.EINVAL, jar + ": larger than " + (MAX_BYTES >> 20)
                        + " MiB; not a driver jar this host loads");
            }
            out.write(b, 0, n);
        }
        return out.toByteArray();
    }

    private static Manifest manifest(String jar, byte[] bytes) {
        try (JarInputStream j = new JarInputStream(new ByteArrayInputStream(bytes))) {
            Manifest mf = j.getManifest();
            if (mf == null || mf.getMainAttributes().getValue("Bundle-SymbolicName") == null) {
                throw new KernelException(Errno.EINVAL, jar
                        + ": not an OSGi bundle (no Bundle-SymbolicName in its manifest); nothing was loaded");
            }
            return mf;
        } catch (IOException e) {
            throw new KernelException(Errno.EINVAL, jar + ": not a jar (" + e.getMessage() + ")");
        }
    }
}
