package org.devhost.hal.common;

import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.Set;
import org.devhost.hal.IoctlCommand;
import org.devhost.hal.KnownIoctl;
import org.devhost.hal.KnownIoctls;
import org.devhost.hal.RefusedIoctl;
import org.devhost.hal.RefusedIoctls;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;

/**
 * Decides whether an ioctl may reach the kernel and how many bytes of memory it gets. What the HAL
 * knows is a floor under any caller's description: {@link KnownIoctls} first, then the number's
 * {@code _IOC} bits; a caller may describe more (a legacy command's size, a number passed by
 * value for a command that encodes memory) but never fewer bytes than the HAL knows the kernel
 * touches. Stateless; thread-safe. What the rules decide depends on the command alone, never on
 * the node or the moment, so a node may check a command once and keep the verdict ({@link Memory}).
 */
final class IoctlRules {
    private IoctlRules() {}

    /** How the HAL understands {@code cmd} on its own: its table entry, or the number's bits. */
    static KnownIoctl describe(int cmd) {
        Optional<KnownIoctl> known = KnownIoctls.byValue(cmd);
        if (known.isPresent()) {
            return known.get();
        }
        IoctlCommand c = new IoctlCommand(cmd);
        String name = c.toString();
        if (c.dir() == IoctlCommand.NONE || c.size() == 0) {
            return new KnownIoctl(name, cmd, KnownIoctl.Arg.VALUE, 0, "not in the HAL's table");
        }
        KnownIoctl.Arg kind = (c.dir() & IoctlCommand.READ) != 0 ? KnownIoctl.Arg.OUT : KnownIoctl.Arg.IN;
        return new KnownIoctl(name, cmd, kind, c.size(), "sized by its _IOC bits");
    }

    /**
     * A number for a command that nobody describes: neither the HAL's table nor a caller's {@link
     * KnownIoctl} says what its argument is, and its {@code _IOC} bits carry no direction. Old
     * tty, loop and file commands look like that and still take memory (TIOCGSERIAL, TCGETA,
     * LOOP_GET_STATUS), so a non-zero number could be used as an address: it is refused. Zero is
     * safe whatever the command is (the kernel refuses a null pointer with EFAULT).
     */
    static void checkUndescribedValue(int cmd, long value, String path) {
        refused(cmd, path); // a refused command says so first, whatever its argument
        IoctlCommand bits = new IoctlCommand(cmd);
        if (value != 0 && KnownIoctls.byValue(cmd).isEmpty() && (bits.dir() == IoctlCommand.NONE || bits.size() == 0)) {
            throw new KernelException(Errno.EINVAL, "ioctl " + bits + " on " + path + ": the HAL does not know what"
                    + " this command's argument is, and an old command like it may take memory, where " + value
                    + " would be used as an address; describe it with a KnownIoctl of kind VALUE to pass a number");
        }
    }

    /**
     * Commands that copy a value out under at most a short lock and never wait for a device or for
     * I/O, so a backend may make them as a call that cannot wait ({@link Syscalls#ioctlQuick}).
     * By number: the number decides the kernel's path, whatever a caller's description says. Left
     * out on purpose: terminal state (TCGETS, FIONREAD take a lock a serial driver may hold during
     * USB I/O), modem lines and RTC time (the driver may ask the hardware), loop and tun state
     * (their locks are held across device set-up).
     */
    private static final Set<Integer> QUICK = Set.of(KnownIoctls.TIOCGWINSZ, KnownIoctls.TIOCGPTN,
            KnownIoctls.TIOCGPTLCK, KnownIoctls.TIOCGPGRP, KnownIoctls.TIOCGSID, KnownIoctls.KVM_GET_API_VERSION,
            KnownIoctls.KVM_CHECK_EXTENSION, KnownIoctls.BLKGETSIZE64, KnownIoctls.RNDGETENTCNT, KnownIoctls.FIGETBSZ,
            KnownIoctls.TUNGETFEATURES);

    /** Whether {@code cmd} is one of the quick commands ({@link #QUICK}). */
    static boolean quick(int cmd) {
        return QUICK.contains(cmd);
    }

    /** What the rules say about a by-value command (it passed {@link #checkValue}); immutable. */
    record Value(KnownIoctl command, boolean quick) {}

    /** Checks a by-value call and returns the verdict a caller may keep for the same command. */
    static Value value(KnownIoctl k, String path) {
        checkValue(k, path);
        return new Value(k, quick(k.value()));
    }

    /** Checks a by-value call: refused unless nobody says the command takes memory. */
    static void checkValue(KnownIoctl k, String path) {
        refused(k.value(), path);
        KnownIoctl memory = k.takesMemory() ? k : KnownIoctls.byValue(k.value()).filter(KnownIoctl::takesMemory).orElse(null);
        if (memory != null) {
            throw new KernelException(Errno.EINVAL, head(k, path) + " takes " + memory.size() + " bytes of memory ("
                    + memory.description() + "), so a number given for it would be used as an address; pass a buffer"
                    + " of " + memory.size() + " bytes instead");
        }
    }

    /**
     * Checks a call with memory and returns how many bytes the kernel gets: the description's size,
     * which must be at least what the HAL's table and the number's bits say.
     */
    static int checkMemory(KnownIoctl k, ByteBuffer arg, String path) {
        return memory(k, path).check(arg, path);
    }

    /**
     * What the rules say about a command that takes memory, apart from the buffer of a call: how
     * many bytes the kernel gets and whether it writes them. It depends on the command alone (the
     * tables are constants), so a caller may keep it for the next call with the same command.
     */
    record Memory(KnownIoctl command, int size, boolean kernelWrites, boolean quick) {
        /** The part of the rules that depends on the call's buffer; returns {@link #size}. */
        int check(ByteBuffer arg, String path) {
            if (arg.remaining() < size) {
                throw new KernelException(Errno.EINVAL, head(command, path) + " needs " + size + " bytes from the"
                        + " buffer's position, it has " + arg.remaining() + "; pass a larger buffer");
            }
            if (kernelWrites && arg.isReadOnly()) {
                throw new KernelException(Errno.EINVAL, head(command, path) + " writes its answer into the buffer,"
                        + " which is read-only; pass a writable buffer");
            }
            return size;
        }
    }

    /** The rules for a call with memory that do not depend on its buffer (see {@link Memory}). */
    static Memory memory(KnownIoctl k, String path) {
        refused(k.value(), path);
        Optional<KnownIoctl> table = KnownIoctls.byValue(k.value());
        if (!k.takesMemory()) {
            throw new KernelException(Errno.EINVAL, head(k, path) + (table.isPresent()
                    ? " takes no memory; pass its value as a number"
                    : " encodes no size and is not in the HAL's table, so nobody knows how many bytes the kernel"
                            + " would touch; describe it with a KnownIoctl that gives its size"));
        }
        IoctlCommand bits = new IoctlCommand(k.value());
        int floor = Math.max(bits.dir() == IoctlCommand.NONE ? 0 : bits.size(),
                table.filter(KnownIoctl::takesMemory).map(KnownIoctl::size).orElse(0));
        if (k.size() < floor) {
            throw new KernelException(Errno.EINVAL, head(k, path) + ": described as " + k.size() + " bytes, but the"
                    + " kernel touches " + floor + "; describe at least " + floor);
        }
        boolean kernelWrites = k.arg() == KnownIoctl.Arg.OUT || (bits.dir() & IoctlCommand.READ) != 0
                || table.filter(t -> t.arg() == KnownIoctl.Arg.OUT).isPresent();
        return new Memory(k, k.size(), kernelWrites, quick(k.value()));
    }

    private static void refused(int cmd, String path) {
        Optional<RefusedIoctl> r = RefusedIoctls.of(cmd);
        if (r.isPresent()) {
            throw new KernelException(Errno.EPERM, "ioctl " + r.get().name() + " (0x" + Integer.toHexString(cmd)
                    + ") on " + path + ": refused, it " + r.get().reason() + " (see RefusedIoctls)");
        }
    }

    private static String head(KnownIoctl k, String path) {
        String hex = "0x" + Integer.toHexString(k.value());
        return "ioctl " + (k.name().startsWith(hex) ? k.name() : k.name() + " (" + hex + ")") + " on " + path;
    }
}
