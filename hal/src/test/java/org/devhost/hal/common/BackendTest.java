package org.devhost.hal.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Which backend this run of the shared suite tests, and that the shared code is backend-neutral.
 * Each backend's module runs this same suite with {@code devhost.hal.expect} set to its {@link
 * Syscalls} class, so a suite that silently fell back to another backend fails here.
 */
class BackendTest {
    @Test
    void theSuiteRunsOnTheBackendItWasStartedFor() {
        Syscalls sys = new HostHal(HostHal.DEFAULT_ALLOWED).syscalls();
        System.out.println("HAL suite on " + sys.description() + " (" + sys.getClass().getName() + ")");
        String expected = System.getProperty("devhost.hal.expect");
        if (expected != null && !expected.isBlank()) {
            assertEquals(expected, sys.getClass().getName());
        }
    }

    @Test
    void theSharedCodeNamesNoBackend() throws IOException, URISyntaxException {
        Path source = Path.of(HostHal.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> offenders = new ArrayList<>();
        int seen = 0;
        if (Files.isDirectory(source)) {
            try (Stream<Path> s = Files.walk(source.resolve("org/devhost/hal/common"))) {
                for (Path p : s.filter(f -> f.toString().endsWith(".class")).toList()) {
                    seen++;
                    check(p.toString(), Files.readAllBytes(p), offenders);
                }
            }
        } else {
            try (JarFile jar = new JarFile(source.toFile())) {
                for (JarEntry e : jar.stream().filter(e -> e.getName().startsWith("org/devhost/hal/common/")
                        && e.getName().endsWith(".class")).toList()) {
                    seen++;
                    try (InputStream in = jar.getInputStream(e)) {
                        check(e.getName(), in.readAllBytes(), offenders);
                    }
                }
            }
        }
        assertTrue(seen > 10, "found only " + seen + " shared classes in " + source);
        assertFalse(!offenders.isEmpty(), "shared classes that name a backend's native binding: " + offenders);
    }

    private static void check(String name, byte[] classFile, List<String> offenders) {
        String text = new String(classFile, StandardCharsets.ISO_8859_1);
        if (text.contains("com/sun/jna") || text.contains("java/lang/foreign")) {
            offenders.add(name);
        }
    }
}
