package org.devhost.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aQute.bnd.differ.Baseline;
import aQute.bnd.differ.DiffPluginImpl;
import aQute.bnd.osgi.Instructions;
import aQute.bnd.osgi.Jar;
import aQute.bnd.osgi.Processor;
import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Semantic versioning, guarded: each exported API package of the built bundles is compared with
 * the checked-in baseline ({@code baseline/}) by bnd's baseline, the check {@code
 * bnd-baseline-maven-plugin} runs. A package whose change needs a bigger version than it declares
 * fails the build, with bnd's suggested version in the message.
 */
class ApiBaselineIT {
    private static final Path ROOT = Path.of(System.getProperty("devhost.root", "..")).toAbsolutePath().normalize();
    private static final File BUNDLES = new File(System.getProperty("itest.bundles", "target/bundles"));

    private static Set<Baseline.Info> baseline(Jar newer, Jar older, String packages) throws Exception {
        try (Processor reporter = new Processor()) {
            return new Baseline(reporter, new DiffPluginImpl()).baseline(newer, older, new Instructions(packages));
        }
    }

    private static String mismatches(Set<Baseline.Info> infos) {
        return infos.stream().filter(i -> i.mismatch).map(i -> i.packageName + " is " + i.newerVersion + " (was "
                + i.olderVersion + "), needs " + i.suggestedVersion + (i.reason == null ? "" : ": " + i.reason))
                .collect(Collectors.joining("; "));
    }

    @Test
    void everyApiPackageIsVersionedForWhatChanged() throws Exception {
        for (String bundle : List.of("org.devhost.kernel", "org.devhost.hal")) {
            try (Jar newer = new Jar(new File(BUNDLES, bundle + ".jar"));
                    Jar older = new Jar(ROOT.resolve("baseline/" + bundle + ".jar").toFile())) {
                Set<Baseline.Info> infos = baseline(newer, older, "org.devhost.*,!*.impl");
                assertFalse(infos.isEmpty(), bundle + ": no API package compared");
                assertEquals("", mismatches(infos), bundle + ": an API change without the version it needs"
                        + " (bump the package's version in its package-info.java)");
            }
        }
    }

    /** The check is not vacuous: an API class taken away under the same version is a mismatch that asks for a major bump. */
    @Test
    void removingAnApiTypeWithoutAMajorBumpIsCaught() throws Exception {
        try (Jar current = new Jar(new File(BUNDLES, "org.devhost.kernel.jar"));
                Jar broken = new Jar(new File(BUNDLES, "org.devhost.kernel.jar"))) {
            broken.remove("org/devhost/kernel/LogLine.class");
            Set<Baseline.Info> infos = baseline(broken, current, "org.devhost.kernel");
            String report = mismatches(infos);
            assertTrue(report.matches("(?s)org\\.devhost\\.kernel is (\\S+) \\(was \\1\\), needs 2\\.0\\.0.*"), report);
        }
    }
}
