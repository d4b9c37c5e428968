package org.devhost.shell;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.devhost.hal.IoctlCommand;
import org.devhost.hal.KnownIoctl;
import org.devhost.hal.KnownIoctls;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The {@code dev} commands that talk to devices: {@code cat}, {@code hexdump}, {@code write},
 * {@code echo}, {@code dd}, {@code ioctl}. Each opens the device, does its I/O through the
 * registry on the shell's thread, and closes it again, also when it fails.
 */
@Component(service = IoCommands.class, property = {
        "osgi.command.scope=dev",
        "osgi.command.function=cat",
        "osgi.command.function=hexdump",
        "osgi.command.function=write",
        "osgi.command.function=echo",
        "osgi.command.function=dd",
        "osgi.command.function=ioctl"})
public final class IoCommands {
    /** cat and hexdump stop here when the device never ends (zero, urandom) and no count was given. */
    static final long DEFAULT_LIMIT = 1 << 20;
    private static final int CHUNK = 64 * 1024;

    private final DeviceRegistry registry;

    @Activate
    public IoCommands(@Reference DeviceRegistry registry) {
        this.registry = registry;
    }

    @Descriptor("print a device's bytes as text: at most count bytes, or to end of file (at most 1 MiB)")
    public void cat(CommandSession session, @Descriptor("device: name, /dev/name or major:minor") String device,
            @Descriptor("bytes to read at most (optional)") String... count) {
        if (count.length > 1) {
            throw new KernelException(Errno.EINVAL, "dev:cat: give one device and at most one count");
        }
        long n = count.length == 0 ? DEFAULT_LIMIT : Numbers.count("cat", "count", count[0]);
        stream("cat", session, device, n, 0, (chunk, k) -> session.getConsole().write(chunk, 0, k), null);
    }

    @Descriptor("show a device's bytes in hex and ASCII, as hexdump -C")
    public void hexdump(CommandSession session,
            @Descriptor("bytes to show (default: to end of file, at most 1 MiB)")
            @Parameter(names = {"-n"}, absentValue = "") String count,
            @Descriptor("bytes to skip first")
            @Parameter(names = {"-s"}, absentValue = "0") String skip,
            @Descriptor("device: name, /dev/name or major:minor") String device) {
        long n = count.isEmpty() ? DEFAULT_LIMIT : Numbers.count("hexdump", "count", count);
        long s = Numbers.count("hexdump", "offset", skip);
        Hexdump dump = new Hexdump(session.getConsole(), s);
        stream("hexdump", session, device, n, s, dump::feed, dump::finish);
    }

    /** What a streaming command does with each chunk read. */
    private interface Sink {
        void accept(byte[] chunk, int n);
    }

    /**
     * Reads up to {@code limit} bytes from {@code offset} (seeking, or reading past it when the
     * device cannot seek) in chunks of {@link #CHUNK} and hands each to {@code sink} as it arrives:
     * memory stays at one chunk whatever the count, and output shows while a slow device trickles.
     */
    private void stream(String command, CommandSession session, String device, long limit, long offset, Sink sink,
            Runnable end) {
        Devices.named(command, device);
        try (OpenFile f = Devices.open(registry, device, OpenFlags.O_RDONLY)) {
            if (offset > 0) {
                skip(f, offset);
            }
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK, Math.max(limit, 1)));
            for (long left = limit; left > 0;) {
                if (Thread.currentThread().isInterrupted()) {
                    // Ctrl-C on a device that never blocks (zero, urandom): no kernel wait to end
                    throw new KernelException(Errno.EINTR, "read " + device + ": interrupted");
                }
                buf.clear().limit((int) Math.min(buf.capacity(), left));
                int n = f.read(buf);
                if (n == 0) {
                    break;
                }
                sink.accept(buf.array(), n);
                left -= n;
            }
            if (end != null) {
                end.run();
            }
            session.getConsole().flush();
        } catch (KernelException e) {
            throw Failure.of(command, Devices.shown(device), e);
        }
    }

    private static void skip(OpenFile f, long offset) {
        try {
            f.seek(offset, OpenFile.SEEK_SET);
        } catch (KernelException e) {
            if (e.errno() != Errno.ESPIPE) {
                throw e;
            }
            ByteBuffer trash = ByteBuffer.allocate(CHUNK);
            for (long left = offset; left > 0;) {
                trash.clear().limit((int) Math.min(CHUNK, left));
                int n = f.read(trash);
                if (n == 0) {
                    return;
                }
                left -= n;
            }
        }
    }

    @Descriptor("write text to a device, as given (no newline added)")
    public void write(@Descriptor("device: name, /dev/name or major:minor") String device,
            @Descriptor("text; words are joined with spaces") String... text) {
        writeText("write", device, String.join(" ", text));
    }

    @Descriptor("write text and a newline to a device, as echo > /dev/x")
    public void echo(@Descriptor("device: name, /dev/name or major:minor") String device,
            @Descriptor("text; words are joined with spaces") String... text) {
        writeText("echo", device, String.join(" ", text) + "\n");
    }

    private void writeText(String command, String device, String text) {
        Devices.named(command, device);
        try (OpenFile f = Devices.open(registry, device, OpenFlags.O_WRONLY)) {
            ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                if (f.write(b) == 0) {
                    throw new KernelException(Errno.EIO, "write " + device + ": the device took no bytes");
                }
            }
        } catch (KernelException e) {
            throw Failure.of(command, Devices.shown(device), e);
        }
    }

    @Descriptor("copy between devices as dd does, and report records, bytes, time and throughput")
    public void dd(CommandSession session,
            @Descriptor("if=<device> of=<device> [bs=<bytes, default 512; K/M suffixes>] [count=<blocks>];"
                    + " without count it copies until the input ends, the output is full or Ctrl-C")
            String... operands) {
        Dd dd = Dd.parse(operands);
        try (OpenFile in = Devices.open(registry, dd.input(), OpenFlags.O_RDONLY);
                OpenFile out = Devices.open(registry, dd.output(), OpenFlags.O_WRONLY)) {
            dd.run(in, out, session.getConsole());
        } catch (KernelException e) {
            if (e.getMessage().startsWith("dev:dd:")) {
                throw e;
            }
            throw Failure.detailed("dd", e);
        }
    }

    @Descriptor("send an ioctl to a device: a known name (see dev:ioctl -l) or a number, with an optional argument")
    public String ioctl(@Descriptor("device: name, /dev/name or major:minor") String device,
            @Descriptor("command: a name such as TIOCGWINSZ or KVM_GET_API_VERSION, or a number such as 0x5413") String command) {
        return ioctl(device, command, null);
    }

    @Descriptor("send an ioctl with an argument (a number; for commands that take memory it is put there)")
    public String ioctl(@Descriptor("device: name, /dev/name or major:minor") String device,
            @Descriptor("command name or number") String command,
            @Descriptor("argument: decimal or 0x hex") String arg) {
        Devices.named("ioctl", device);
        if (command == null) {
            throw new KernelException(Errno.EINVAL, "dev:ioctl: no command given; give a name (dev:ioctl names them) or a number");
        }
        Ioctl call = Ioctl.resolve(command);
        try (OpenFile f = Devices.open(registry, device, OpenFlags.O_RDWR)) {
            return call.run(f, Devices.shown(device), arg);
        } catch (KernelException e) {
            if (e.getMessage().startsWith("dev:ioctl:")) {
                throw e;
            }
            throw Failure.of("ioctl", Devices.shown(device) + ": " + call.name(), e);
        }
    }

    /** One ioctl call, by name from the HAL's table or by number decoded from its _IOC bits. */
    record Ioctl(String name, int value, KnownIoctl.Arg arg, int size, boolean known) {
        static Ioctl resolve(String command) {
            Optional<KnownIoctl> known = KnownIoctls.byName(command);
            if (known.isPresent()) {
                KnownIoctl k = known.get();
                return new Ioctl(k.name(), k.value(), k.arg(), k.size(), true);
            }
            if (!Character.isDigit(command.charAt(0)) && !command.startsWith("-")) {
                throw new KernelException(Errno.EINVAL, "dev:ioctl: unknown command '" + command + "'; known: "
                        + KnownIoctls.all().stream().map(KnownIoctl::name).collect(Collectors.joining(", "))
                        + "; or give the number, e.g. 0x5413");
            }
            long v = Numbers.integer("ioctl", "command", command);
            if (v < Integer.MIN_VALUE || v > 0xffffffffL) {
                throw new KernelException(Errno.EINVAL, "dev:ioctl: command '" + command + "' does not fit 32 bits");
            }
            IoctlCommand c = new IoctlCommand((int) v);
            Optional<KnownIoctl> byValue = KnownIoctls.byValue(c.value());
            if (byValue.isPresent()) {
                return resolve(byValue.get().name());
            }
            KnownIoctl.Arg kind = c.size() == 0 ? KnownIoctl.Arg.VALUE
                    : (c.dir() & IoctlCommand.READ) != 0 ? KnownIoctl.Arg.OUT : KnownIoctl.Arg.IN;
            return new Ioctl(c.toString(), c.value(), kind, c.size(), false);
        }

        String run(OpenFile f, String device, String argText) {
            String head = "ioctl " + name + " on " + device + ": returned ";
            switch (arg) {
                case NONE, VALUE -> {
                    if (arg == KnownIoctl.Arg.VALUE && argText == null && known) {
                        throw new KernelException(Errno.EINVAL, "dev:ioctl: " + name + " takes an argument");
                    }
                    long a = argText == null ? 0 : Numbers.integer("ioctl", "argument", argText);
                    return head + f.ioctl(value, a);
                }
                default -> {
                    ByteBuffer mem = ByteBuffer.allocateDirect(Math.max(size, 8)).order(ByteOrder.nativeOrder());
                    if (arg == KnownIoctl.Arg.IN) {
                        if (argText == null) {
                            throw new KernelException(Errno.EINVAL, "dev:ioctl: " + name + " takes an argument ("
                                    + size + " bytes of memory; give a number to put there)");
                        }
                        long a = Numbers.integer("ioctl", "argument", argText);
                        if (size >= 8) {
                            mem.putLong(0, a);
                        } else {
                            mem.putInt(0, (int) a);
                        }
                    }
                    mem.limit(size);
                    long r = f.ioctl(value, mem);
                    if (arg == KnownIoctl.Arg.IN) {
                        return head + r;
                    }
                    long v = size >= 8 ? mem.getLong(0) : size >= 4 ? mem.getInt(0) & 0xffffffffL
                            : size >= 2 ? mem.getShort(0) & 0xffff : mem.get(0) & 0xff;
                    byte[] bytes = new byte[size];
                    mem.get(0, bytes);
                    return head + r + "\n  value: " + v + " (0x" + Long.toHexString(v) + ")\n  bytes: " + Hexdump.bytes(bytes);
                }
            }
        }
    }
}
