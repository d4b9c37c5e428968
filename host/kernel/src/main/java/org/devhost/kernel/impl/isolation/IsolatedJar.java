package org.devhost.kernel.impl.isolation;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;

/**
 * The bundle that stands for an isolated module in the host: no code, the driver's name, version
 * and {@code devhost.module} capability (so lsmod, modinfo, the supervisor and the registry see the
 * module as any other), the header {@value #HEADER}, and the driver's jar itself as the entry
 * {@value #DRIVER_ENTRY}, which the child runs. Starting it starts the child; stopping it kills the
 * child. Immutable static helpers.
 */
public final class IsolatedJar {
    /** Manifest header of a stand-in bundle; its value is how the module runs ({@code process}). */
    public static final String HEADER = "Devhost-Isolation";
    static final String DRIVER_ENTRY = "OSGI-INF/devhost/driver.jar";
    /** Manifest header of a stand-in: the heap bound of its process ({@code -Xmx}), when its policy gives one. */
    static final String HEAP_HEADER = "Devhost-Isolation-Heap";

    private IsolatedJar() {}

    /**
     * The stand-in of a driver jar (checked already: a bundle with a symbolic name).
     *
     * @param heap the process's heap bound ({@code 64m}), or empty for the host's default
     * @throws KernelException EINVAL for a heap that is not a size
     */
    public static byte[] wrap(byte[] driver, String heap) {
        if (heap != null && !heap.isEmpty() && !heap.matches("[0-9]+[kKmMgG]?")) {
            throw new KernelException(Errno.EINVAL, "isolation.heap=" + heap + " is not a size such as 64m");
        }
        Manifest original;
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(driver))) {
            original = in.getManifest();
        } catch (IOException e) {
            throw new KernelException(Errno.EINVAL, "not a jar (" + e.getMessage() + ")");
        }
        if (original == null) {
            throw new KernelException(Errno.EINVAL, "the jar has no manifest");
        }
        Attributes from = original.getMainAttributes();
        Manifest mf = new Manifest();
        Attributes to = mf.getMainAttributes();
        to.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        to.putValue("Bundle-ManifestVersion", "2");
        for (String h : new String[] {"Bundle-SymbolicName", "Bundle-Version", "Bundle-Name", "Bundle-Description",
                "Provide-Capability"}) {
            String v = from.getValue(h);
            if (v != null) {
                to.putValue(h, v);
            }
        }
        to.putValue(HEADER, "process");
        if (heap != null && !heap.isEmpty()) {
            to.putValue(HEAP_HEADER, heap);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(driver.length + 1024);
        try (JarOutputStream out = new JarOutputStream(bytes, mf)) {
            out.putNextEntry(new JarEntry(DRIVER_ENTRY));
            out.write(driver);
            out.closeEntry();
            copyMetatype(driver, out);
        } catch (IOException e) {
            throw new KernelException(Errno.EIO, "cannot make the isolated module's bundle: " + e.getMessage());
        }
        return bytes.toByteArray();
    }

    /** The parameters' declarations come along, so dev:modinfo and the console show them as for any module. */
    private static void copyMetatype(byte[] driver, JarOutputStream out) throws IOException {
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(driver))) {
            for (JarEntry e; (e = in.getNextJarEntry()) != null; ) {
                if (!e.isDirectory() && e.getName().startsWith("OSGI-INF/metatype/")) {
                    out.putNextEntry(new JarEntry(e.getName()));
                    in.transferTo(out);
                    out.closeEntry();
                }
            }
        }
    }

    /** The driver's jar inside a stand-in bundle. */
    static InputStream driver(org.osgi.framework.Bundle standIn) throws IOException {
        java.net.URL u = standIn.getEntry(DRIVER_ENTRY);
        if (u == null) {
            throw new IOException("bundle " + standIn.getSymbolicName() + " has no " + DRIVER_ENTRY);
        }
        return u.openStream();
    }
}
