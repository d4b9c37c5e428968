package org.devhost.itests;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What an end-to-end test needs from the machine. Outside CI a missing part skips the test with
 * the reason printed; in CI ({@code CI=true}, as {@code .ci/run} sets it) the test fails instead,
 * because {@code .ci/run} installs every such part and a skip there would hide a missing step.
 */
final class Needs {
    private Needs() {}

    static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** JUnit 5: skips (or in CI fails) unless {@code present}; {@code why} says what to install. */
    static void that(boolean present, String why) {
        if (present) {
            return;
        }
        if (inCi()) {
            fail("CI=true and this is missing, though .ci/run installs it: " + why);
        }
        assumeTrue(false, why);
    }

    /** Whether {@code program} is an executable on the PATH. */
    static boolean onPath(String program) {
        return java.util.Arrays.stream(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(dir -> !dir.isEmpty() && java.nio.file.Files.isExecutable(java.nio.file.Path.of(dir, program)));
    }
}
