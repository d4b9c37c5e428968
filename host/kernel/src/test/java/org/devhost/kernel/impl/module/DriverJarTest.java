package org.devhost.kernel.impl.module;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the module manager refuses to load before it touches the framework, and what it reads. */
class DriverJarTest {
    @TempDir
    Path dir;

    private Path jar(String name, String bsn, String version) throws IOException {
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (bsn != null) {
            mf.getMainAttributes().putValue("Bundle-SymbolicName", bsn);
        }
        if (version != null) {
            mf.getMainAttributes().putValue("Bundle-Version", version);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarOutputStream j = new JarOutputStream(out, mf)) {
            j.flush();
        }
        return Files.write(dir.resolve(name), out.toByteArray());
    }

    private static Errno errno(Runnable r) {
        return assertThrows(KernelException.class, r::run).errno();
    }

    @Test
    void readsALocalBundleByPathOrFileUrl() throws IOException {
        Path p = jar("d.jar", "org.example.d;singleton:=true", "1.2.3");
        DriverJar byPath = DriverJar.read(p.toString(), null);
        assertEquals("org.example.d", byPath.symbolicName());
        assertEquals("1.2.3", byPath.version().toString());
        assertEquals(p.toUri().toString(), byPath.location());
        assertEquals(byPath.location(), DriverJar.read(p.toUri().toString(), "").location());
    }

    @Test
    void aPinnedHashIsCheckedForLocalFilesToo() throws IOException {
        Path p = jar("d.jar", "org.example.d", null);
        String sha = DriverJar.sha256(Files.readAllBytes(p));
        assertEquals("0.0.0", DriverJar.read(p.toString(), sha.toUpperCase()).version().toString());
        KernelException wrong = assertThrows(KernelException.class, () -> DriverJar.read(p.toString(), "0".repeat(64)));
        assertEquals(Errno.EACCES, wrong.errno());
        assertTrue(wrong.getMessage().contains("not the pinned " + "0".repeat(64)), wrong.getMessage());
        assertEquals(Errno.EINVAL, errno(() -> DriverJar.read(p.toString(), "xyz")));
    }

    @Test
    void aRemoteJarNeedsItsHashBeforeAnythingIsFetched() {
        KernelException e = assertThrows(KernelException.class, () -> DriverJar.read("http://127.0.0.1:9/d.jar", null));
        assertEquals(Errno.EACCES, e.errno());
        assertTrue(e.getMessage().contains("--sha256"), e.getMessage());
    }

    @Test
    void whatIsNotADriverJarIsRefusedWithItsReason() throws IOException {
        assertEquals(Errno.EINVAL, errno(() -> DriverJar.read(null, null)));
        assertEquals(Errno.ENOENT, errno(() -> DriverJar.read(dir.resolve("missing.jar").toString(), null)));
        Path plain = jar("plain.jar", null, null);
        KernelException notBundle = assertThrows(KernelException.class, () -> DriverJar.read(plain.toString(), null));
        assertEquals(Errno.EINVAL, notBundle.errno());
        assertTrue(notBundle.getMessage().contains("not an OSGi bundle"), notBundle.getMessage());
        Path text = Files.writeString(dir.resolve("text.jar"), "not a zip");
        assertEquals(Errno.EINVAL, errno(() -> DriverJar.read(text.toString(), null)));
        Path badVersion = jar("v.jar", "org.example.v", "one");
        assertEquals(Errno.EINVAL, errno(() -> DriverJar.read(badVersion.toString(), null)));
    }
}
