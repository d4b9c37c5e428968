package org.devhost.drivers.faulty;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.KernelModule;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.ModuleParams;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

/**
 * LDD3's {@code faulty} (misc-modules/faulty.c): a character device whose driver has bugs on purpose, to watch what the host does about them. In the book, {@code
 * faulty_write} dereferences NULL ({@code *(int *)0 = 0}) and {@code faulty_read} writes 20 bytes
 * into a 4-byte stack buffer; each is an oops. Here the bugs fire only when the module parameter
 * {@code fault} asks for them, so the module can ship with the samples:
 * <ul>
 * <li>{@code none} (the default): read gives 4 bytes of {@code 0xff} (what faulty_read copies out),
 * write takes the bytes and drops them. Nothing goes wrong.</li>
 * <li>{@code oops}: write dereferences null (a {@link NullPointerException}), read overflows its
 * 4-byte buffer (an {@link ArrayIndexOutOfBoundsException}). Each is a driver fault: the caller gets
 * EIO, and enough of them in a window make the supervisor restart the module.</li>
 * <li>{@code hang}: read and write wait for hardware that never answers, sleeping in the driver
 * (not in a kernel wait) and ignoring interrupts: the watchdog calls it a hang, the module is
 * restarted, and the thread is abandoned and counted (a Java thread cannot be stopped).</li>
 * <li>{@code init}: init fails, as a driver whose probe finds no hardware.</li>
 * </ul>
 * The parameter is read once, in init ({@code dev:insmod faulty.jar fault=oops}); a restarted
 * module reads it again.
 *
 * <p>Where we differ on purpose: the book's faulty takes a dynamic major; this one is a misc device
 * ({@code /dev/faulty}, dynamic minor), because it ships with the samples and starts before them
 * (the host starts drivers in name order), and a dynamic major would move {@code rust_chrdev} off
 * 254, the number the tour and the tests show.
 */
@KernelModule(name = "faulty", author = "Alessandro Rubini, Jonathan Corbet (LDD3); devhost",
        description = "A device that oopses or hangs on demand", license = "Dual BSD/GPL")
@Component(configurationPid = "faulty", immediate = true)
@Designate(ocd = Faulty.Params.class)
public final class Faulty {

    @ObjectClassDefinition(id = "faulty", name = "faulty", description = "faulty module parameters")
    public @interface Params {
        @AttributeDefinition(description = "the bug to have: none, oops (read and write throw), hang (read and write never return), init (init fails)",
                options = {@Option(value = "none"), @Option(value = "oops"), @Option(value = "hang"), @Option(value = "init")})
        String fault() default "none";
    }

    static final Set<String> FAULTS = Set.of("none", "oops", "hang", "init");
    static final Set<String> NAMES = Set.of("fault");

    private final MiscDevice device;

    @Activate
    public Faulty(@Reference DeviceRegistry registry, @Reference(service = LoggerFactory.class) Logger log,
            Map<String, Object> props) {
        String fault = ModuleParams.str(props, "fault", "none");
        if (!FAULTS.contains(fault)) {
            throw new KernelException(Errno.EINVAL, "faulty: fault=" + fault + " is none of none, oops, hang, init");
        }
        ModuleParams.warnUnknown(props, NAMES, name -> log.warn("unknown parameter '{}' ignored", name));
        if (fault.equals("init")) {
            throw new KernelException(Errno.ENODEV, "faulty: no such hardware (fault=init)");
        }
        device = registry.registerMisc("faulty", MiscDevice.DYNAMIC_MINOR, 0666, new FaultyFile(fault));
        log.info("minor {}, fault={}", device.device().number().minor(), fault);
    }

    /** faulty_fops: read and write, as in the book. */
    static final class FaultyFile implements FileOperations<Void> {
        private final String fault;

        FaultyFile(String fault) {
            this.fault = fault;
        }

        @Override
        public Void open(File file) {
            return null;
        }

        @Override
        public int read(Void data, File file, ByteBuffer dst, long offset) {
            byte[] stackBuf = new byte[4];
            switch (fault) {
                case "oops" -> Arrays.fill(stackBuf, 0, 20, (byte) 0xff); // memset(stack_buf, 0xff, 20)
                case "hang" -> waitForHardware();
                default -> Arrays.fill(stackBuf, (byte) 0xff);
            }
            int count = Math.min(dst.remaining(), 4);
            dst.put(stackBuf, 0, count);
            return count;
        }

        @Override
        public int write(Void data, File file, ByteBuffer src, long offset) {
            switch (fault) {
                case "oops" -> {
                    int[] nowhere = null;
                    nowhere[0] = 0; // *(int *)0 = 0
                }
                case "hang" -> waitForHardware();
                default -> { }
            }
            int n = src.remaining();
            src.position(src.limit());
            return n;
        }

        /** A device that never answers, polled by a driver that ignores signals: a hang. */
        private static void waitForHardware() {
            while (true) {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ignored) {
                    // the bug: the interrupt is dropped and the loop goes on
                }
            }
        }
    }
}
