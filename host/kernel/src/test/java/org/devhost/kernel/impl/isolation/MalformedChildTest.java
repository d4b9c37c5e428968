package org.devhost.kernel.impl.isolation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.devhost.kernel.impl.FakeFramework;
import org.devhost.kernel.impl.Parked;
import org.devhost.kernel.impl.registry.KernelCore;
import org.devhost.kernel.impl.registry.Supervision;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.osgi.framework.Bundle;

/**
 * Whatever a child sends is checked by the host: a child process that breaks the protocol (a frame
 * longer than any may be, an answer to a request never sent, a message of an unknown kind, a log
 * line at a level that does not exist) is killed and reported to the supervisor as ended, and a
 * well-behaved child beside it goes on. Real processes ({@link BadChild}), the host's real
 * {@link Child} and {@link Isolation}, on a fake framework.
 */
@Timeout(60)
class MalformedChildTest {
    private final FakeFramework fw = new FakeFramework();
    private final List<String> ended = new CopyOnWriteArrayList<>();
    private Isolation isolation;
    private Child bad;
    private Child good;

    @TempDir
    Path tmp;

    @AfterEach
    void stop() {
        for (Child c : new Child[] {bad, good}) {
            if (c != null) {
                c.stop();
            }
        }
        if (isolation != null) {
            isolation.deactivate();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"huge", "unasked", "unknown", "level"})
    void aChildThatBreaksTheProtocolIsKilledAndTheOneBesideItGoesOn(String kind) throws Exception {
        KernelCore core = fw.kernelCore();
        core.supervisor(new Supervision() {
            @Override
            public void driverFault(String module, String operation, Throwable error) {}

            @Override
            public boolean supervised(String module) {
                return true;
            }

            @Override
            public boolean reserveBeforeReap(Bundle bundle) {
                return false;
            }

            @Override
            public void initFailed(Bundle bundle, String reason) {}

            @Override
            public void processEnded(Bundle bundle, String reason) {
                ended.add(bundle.getSymbolicName() + ": " + reason);
            }
        });
        isolation = new Isolation(core, fw.context);
        good = start(isolation, core, "good");
        bad = start(isolation, core, kind);

        Process p = bad.process();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the child that broke the protocol is killed");
        assertEquals(137, p.exitValue(), "by SIGKILL, not by its own end");
        Parked.until(() -> !ended.isEmpty());
        assertTrue(ended.get(0).contains("it sent a malformed message"), ended.toString());
        assertTrue(good.process().isAlive(), "the other child goes on");
        assertEquals(1, ended.size(), ended.toString());
    }

    private Child start(Isolation isolation, KernelCore core, String mode) throws Exception {
        FakeFramework.FakeBundle b = fw.module(mode);
        Path home = Files.createDirectory(tmp.resolve(mode));
        Child c = new Child(isolation, core, b.bundle, mode, home);
        isolation.track(b.bundle, c);
        c.start(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), BadChild.class.getName(), Child.SOCKET, mode), 30_000);
        return c;
    }
}
