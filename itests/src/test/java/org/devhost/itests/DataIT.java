package org.devhost.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.ModuleParameters;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.Bundle;

/** Bytes through scullpipe arrive exactly, while drivers come and go, and when scull itself goes. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class DataIT {
    static final long TOTAL = 100L << 20;
    static final int CHUNK = 64 * 1024;
    static final int PIPE = 64 * 1024;
    /** Every 10 MiB the reader waits for one more load/unload round, so at least 10 happen during the transfer. */
    static final long CHECKPOINT = 10L << 20;

    @Configuration
    public Option[] config() {
        return HostOptions.host();
    }

    private final ExecutorService threads = Executors.newCachedThreadPool();
    private List<String> supervisor;

    @org.junit.Before
    public void watchTheSupervisor() {
        supervisor = SupervisorEvents.record(getClass());
    }

    @After
    public void stop() throws Exception {
        threads.shutdownNow();
        SupervisorEvents.assertNoneRestarted(getClass(), supervisor);
    }

    /** The writer's bytes: a seeded stream, so both sides can compute it. */
    static byte[] chunk(Random r) {
        byte[] b = new byte[CHUNK];
        r.nextBytes(b);
        return b;
    }

    private Bundle loadScull(Probe probe) throws Exception {
        Bundle scull = probe.context.installBundle(HostOptions.jar(HostOptions.driverArtifact("scull")));
        probe.service(ModuleParameters.class).load("scull", Map.of("scull_p_buffer", String.valueOf(PIPE)));
        scull.start();
        DeviceRegistry registry = probe.registry();
        Await.until("scullpipe0", () -> registry.device("scullpipe0").isPresent());
        return scull;
    }

    @Test
    public void hundredMegabytesArriveExactlyWhileOtherDriversLoadAndUnload() throws Exception {
        Probe probe = new Probe(getClass());
        DeviceRegistry registry = probe.registry();
        Bundle scull = loadScull(probe);
        AtomicBoolean done = new AtomicBoolean();
        AtomicLong churn = new AtomicLong();
        Future<?> churner = threads.submit(() -> {
            while (!done.get()) {
                for (String d : new String[] {"rust_chrdev", "rust_miscdev", "mem"}) {
                    Bundle b = probe.context.installBundle(HostOptions.jar(HostOptions.driverArtifact(d)));
                    b.start();
                    b.uninstall();
                    churn.incrementAndGet();
                }
            }
            return null;
        });
        long t0 = System.nanoTime();
        // the reader opens first: every open of a scullpipe empties it, as LDD3's scull_p_open does
        OpenFile reader = registry.open("scullpipe0", OpenFlags.O_RDONLY);
        Future<byte[]> writer = threads.submit(() -> {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            Random r = new Random(42);
            try (OpenFile w = registry.open("scullpipe0", OpenFlags.O_WRONLY)) {
                for (long sent = 0; sent < TOTAL; sent += CHUNK) {
                    byte[] c = chunk(r);
                    md.update(c);
                    ByteBuffer b = ByteBuffer.wrap(c);
                    while (b.hasRemaining()) {
                        w.write(b);
                    }
                }
            }
            return md.digest();
        });
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        long received = 0;
        long churnAtStart = churn.get();
        long nextCheckpoint = CHECKPOINT;
        try (OpenFile r = reader) {
            ByteBuffer b = ByteBuffer.allocate(CHUNK);
            while (received < TOTAL) {
                b.clear();
                int n = r.read(b);
                md.update(b.array(), 0, n);
                received += n;
                if (received >= nextCheckpoint) {
                    // Interleave for certain: at each checkpoint the transfer goes on only once a
                    // further load/unload round has completed since the previous one.
                    long seen = churn.get();
                    Await.until("a churn round during the transfer", () -> churn.get() > seen);
                    nextCheckpoint += CHECKPOINT;
                }
            }
        }
        long churnDuring = churn.get() - churnAtStart;
        byte[] sent = writer.get(60, TimeUnit.SECONDS);
        done.set(true);
        churner.get(30, TimeUnit.SECONDS);
        double s = (System.nanoTime() - t0) / 1e9;
        assertEquals(TOTAL, received);
        assertArrayEquals("SHA-256 of what was read equals that of what was written", sent, md.digest());
        assertTrue("load/unload rounds completed during the transfer: " + churnDuring, churnDuring >= TOTAL / CHECKPOINT);
        System.out.printf("DataIT: %d MB through scullpipe in %.1f s (%.0f MB/s) while %d driver loads/unloads ran%n",
                TOTAL >> 20, s, TOTAL / 1e6 / s, churnDuring);
        scull.uninstall();
    }

    @Test
    public void unloadingScullMidStreamLosesNothingThatWasAcknowledgedBeyondThePipeBuffer() throws Exception {
        Probe probe = new Probe(getClass());
        DeviceRegistry registry = probe.registry();
        Bundle scull = loadScull(probe);
        AtomicLong acknowledged = new AtomicLong();
        // the reader opens first: every open of a scullpipe empties it, as LDD3's scull_p_open does
        OpenFile reader = registry.open("scullpipe1", OpenFlags.O_RDONLY);
        Future<Errno> writer = threads.submit(() -> {
            Random r = new Random(7);
            try (OpenFile w = registry.open("scullpipe1", OpenFlags.O_WRONLY)) {
                while (true) {
                    ByteBuffer b = ByteBuffer.wrap(chunk(r));
                    while (b.hasRemaining()) {
                        int n = w.write(b);
                        assertTrue("a write returns what it took", n > 0);
                        acknowledged.addAndGet(n);
                    }
                }
            } catch (KernelException e) {
                return e.errno();
            }
        });
        Random expected = new Random(7);
        byte[] want = new byte[0];
        int wantPos = 0;
        long received = 0;
        Errno readerEnd = null;
        try (OpenFile r = reader) {
            ByteBuffer b = ByteBuffer.allocate(CHUNK);
            while (true) {
                if (received > (20L << 20) && scull.getState() == Bundle.ACTIVE) {
                    threads.submit(() -> {
                        scull.stop();
                        return null;
                    });
                }
                b.clear();
                int n;
                try {
                    n = r.read(b);
                } catch (KernelException e) {
                    readerEnd = e.errno();
                    break;
                }
                for (int i = 0; i < n; i++) {
                    if (wantPos == want.length) {
                        want = chunk(expected);
                        wantPos = 0;
                    }
                    if (b.get(i) != want[wantPos++]) {
                        throw new AssertionError("byte " + (received + i) + " differs from what was written");
                    }
                }
                received += n;
            }
        }
        assertEquals(Errno.ENODEV, readerEnd);
        assertEquals(Errno.ENODEV, writer.get(10, TimeUnit.SECONDS));
        assertTrue("received " + received + " > acknowledged " + acknowledged, received <= acknowledged.get());
        assertTrue("lost more than the pipe held: acknowledged " + acknowledged + ", received " + received,
                acknowledged.get() - received <= PIPE);
        System.out.printf("DataIT: scull unloaded after %d bytes; every byte read matched; %d acknowledged bytes were"
                + " still in the pipe%n", received, acknowledged.get() - received);
        scull.uninstall();
    }
}
