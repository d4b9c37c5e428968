package org.devhost.itests;

import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.Arrays;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.devhost.hal.Hal;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;

/**
 * Which HAL backend serves: FFM on JDK 22+ (where the build made its bundle), JNA on JDK 17, and
 * the HAL's consumer (hostdev) bound to that one; {@code dev:hal} says so.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class HalBackendIT {
    @Configuration
    public Option[] config() {
        return HostOptions.host("hostdev");
    }

    private static boolean hasHalCommand(BundleContext context) {
        try {
            return context.getServiceReferences((String) null, "(osgi.command.function=hal)") != null;
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new AssertionError(e);
        }
    }

    private static String expected() {
        return HostOptions.ffmHal() ? "ffm" : "jna";
    }

    @Test
    public void theFastestBackendServesAndTheConsumersUseIt() throws Exception {
        BundleContext context = FrameworkUtil.getBundle(getClass()).getBundleContext();
        Await.until("a HAL used by hostdev", () -> {
            ServiceReference<Hal> r = context.getServiceReference(Hal.class);
            return r != null && r.getUsingBundles() != null && Arrays.stream(r.getUsingBundles())
                    .map(Bundle::getSymbolicName).anyMatch("org.devhost.drivers.hostdev"::equals);
        });
        ServiceReference<Hal> serving = context.getServiceReference(Hal.class);
        assertTrue(String.valueOf(serving.getProperty("devhost.hal.backend")),
                expected().equals(serving.getProperty("devhost.hal.backend")));
        if (HostOptions.ffmHal()) {
            // the JNA HAL stays registered, below, and nobody uses it
            assertTrue(context.getServiceReferences(Hal.class, "(devhost.hal.backend=jna)").stream()
                    .allMatch(r -> r.getUsingBundles() == null));
        }
    }

    @Test
    public void devHalSaysWhichBackendServesAndItsVersion() throws Exception {
        BundleContext context = FrameworkUtil.getBundle(getClass()).getBundleContext();
        Await.until("dev:hal", () -> hasHalCommand(context) && context.getServiceReference(CommandProcessor.class) != null);
        CommandProcessor cp = context.getService(context.getServiceReference(CommandProcessor.class));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CommandSession session = cp.createSession(new ByteArrayInputStream(new byte[0]), new PrintStream(out),
                new PrintStream(out));
        try {
            Object result = session.execute("dev:hal");
            String text = out + (result == null ? "" : session.format(result, 0).toString());
            String[] lines = text.split("\n");
            assertTrue(text, lines[0].startsWith("BACKEND  RANKING"));
            assertTrue(text, lines[1].startsWith("* " + expected()));
            assertTrue(text, HostOptions.ffmHal()
                    ? lines[1].contains("java.lang.foreign (FFM API)") && lines[1].contains("org.devhost.hal.ffm 0.1.0")
                    : lines[1].contains("JNA 5.") && lines[1].contains("org.devhost.hal 0.1.0"));
            assertTrue(text, text.contains("JDK " + Runtime.version()));
        } finally {
            session.close();
        }
    }
}
