package com.example.counter;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.Ioctl;
import org.devhost.kernel.IoctlArg;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.KernelModule;
import org.devhost.kernel.MiscDeviceProperties;
import org.devhost.kernel.ModuleParams;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.PollEvents;
import org.devhost.kernel.PollTable;
import org.devhost.kernel.WaitQueue;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * /dev/counter: reading gives the count as text, writing a number adds it, {@code _IO('k', 1)}
 * puts the count back to where it started, {@code _IOR('k', 2, long)} gives it as a long, and
 * poll says readable when the count changed since this open file last read it.
 */
@KernelModule(name = "counter", author = "You", description = "Counts what you write", license = "GPL",
        readonly = {"start"})
@MiscDeviceProperties(name = "counter", mode = 0666)
@Component(service = FileOperations.class, configurationPid = "counter")
@Designate(ocd = Counter.Params.class)
public final class Counter implements FileOperations<Counter.Reader> {
    /** {@code _IO('k', 1)}: the count goes back to its start. */
    public static final int RESET = Ioctl.io('k', 1);
    /** {@code _IOR('k', 2, long)}: the count, as a long, into the caller's memory. */
    public static final int GET = Ioctl.ior('k', 2, Long.BYTES);

    /** The module's parameters: {@code dev:insmod counter.jar start=3}, {@code dev:modinfo counter}. */
    @ObjectClassDefinition(id = "counter", name = "counter", description = "Counts what you write")
    public @interface Params {
        @AttributeDefinition(description = "where the count starts")
        long start() default 0;
    }

    /**
     * One open file: the text its last read from the start took (later offsets read on in it, so
     * a reader taking it in pieces gets one number), and the count in it (null: nothing read yet).
     * Guarded by the driver's lock.
     */
    static final class Reader {
        byte[] text;
        Long seen;
    }

    private final Lock lock = new ReentrantLock();
    private final WaitQueue changed;
    private final long start;
    private long count; // guarded by lock

    @Activate
    public Counter(@Reference DeviceRegistry registry, @Reference(service = LoggerFactory.class) Logger log,
            Params params, Map<String, Object> properties) {
        ModuleParams.warnUnknown(properties, Set.of("start"), name -> log.warn("unknown parameter '{}' ignored", name));
        start = params.start();
        count = start;
        changed = registry.newWaitQueue(lock);
        log.info("counting from {}", start);
    }

    @Override
    public Reader open(File file) {
        return new Reader();
    }

    @Override
    public int read(Reader reader, File file, ByteBuffer dst, long offset) {
        byte[] text;
        lock.lock();
        try {
            if (offset == 0 || reader.text == null) { // a read from the start takes the count now
                reader.text = (count + "\n").getBytes(StandardCharsets.US_ASCII);
                reader.seen = count;
            }
            text = reader.text;
        } finally {
            lock.unlock();
        }
        if (offset >= text.length) {
            return 0;
        }
        int n = (int) Math.min(dst.remaining(), text.length - offset);
        dst.put(text, (int) offset, n);
        return n;
    }

    /** Lets a reader go back and read the count again ({@code lseek}, {@code pread}); reads and writes share the position. */
    @Override
    public long seek(Reader reader, File file, long offset, int whence) {
        return switch (whence) {
            case OpenFile.SEEK_SET -> offset;
            case OpenFile.SEEK_CUR -> file.position() + offset;
            default -> throw new KernelException(Errno.EINVAL, "counter: seek from the start or from the current position");
        };
    }

    @Override
    public int write(Reader reader, File file, ByteBuffer src, long offset) {
        int n = src.remaining();
        byte[] bytes = new byte[n];
        src.get(bytes);
        long add;
        try {
            add = Long.parseLong(new String(bytes, StandardCharsets.US_ASCII).trim());
        } catch (NumberFormatException e) {
            throw new KernelException(Errno.EINVAL, "counter: write a whole number to add, e.g. echo 5 > counter");
        }
        lock.lock();
        try {
            count = Math.addExact(count, add);
            changed.wakeAll();
        } catch (ArithmeticException e) {
            throw new KernelException(Errno.ERANGE, "counter: the count would overflow a long");
        } finally {
            lock.unlock();
        }
        return n;
    }

    @Override
    public long ioctl(Reader reader, File file, int cmd, IoctlArg arg) {
        lock.lock();
        try {
            if (cmd == RESET) {
                count = start;
                changed.wakeAll();
                return 0;
            }
            if (cmd == GET) {
                if (arg.buffer().limit() < Long.BYTES) {
                    throw new KernelException(Errno.EINVAL, "counter: GET needs room for a long (8 bytes)");
                }
                arg.buffer().putLong(0, count); // in the caller's byte order: never set it
                return 0;
            }
        } finally {
            lock.unlock();
        }
        return FileOperations.super.ioctl(reader, file, cmd, arg); // ENOTTY, as Linux answers
    }

    @Override
    public int poll(Reader reader, File file, PollTable table) {
        table.register(changed); // first, so a change while we look is not lost
        lock.lock();
        try {
            int mask = PollEvents.POLLOUT | PollEvents.POLLWRNORM;
            if (reader.seen == null || reader.seen != count) {
                mask |= PollEvents.POLLIN | PollEvents.POLLRDNORM;
            }
            return mask;
        } finally {
            lock.unlock();
        }
    }
}
