package org.devhost.hal;

import java.util.List;
import java.util.Optional;

/**
 * The ioctls the HAL refuses with {@code EPERM}, whatever a caller or a configuration says
 * (x86-64 numbers). Four kinds, each for a reason the HAL cannot work around:
 *
 * <ul>
 *   <li>commands that <b>return a new file descriptor</b> (as the result or inside the struct):
 *       nothing in devhost would own or close it, so every call would leak one (the HAL refuses
 *       them rather than adopting the descriptor: a driver that needs a VM or a pty peer opens it
 *       through a handler of its own);
 *   <li>commands whose argument is <b>longer than the number says</b>: a variable-length array
 *       after a count ({@code RNDADDENTROPY}, {@code KVM_GET_MSR_INDEX_LIST}) or pointers to more
 *       user memory inside the struct ({@code I2C_RDWR}, {@code SG_IO}); the HAL cannot size the
 *       memory the kernel would touch;
 *   <li>commands that change the <b>descriptor state the HAL manages</b>: {@code O_NONBLOCK},
 *       {@code O_ASYNC}, close-on-exec;
 *   <li>commands that take or drive a <b>controlling terminal</b> or inject input into one.
 * </ul>
 *
 * Immutable; thread-safe.
 *
 * @since 1.1
 */
public final class RefusedIoctls {
    private static final String FD = "returns a new file descriptor that nothing in devhost would own or close";
    private static final String VARIABLE = "its argument is longer than its number says (a variable-length array or"
            + " pointers to more memory), so the HAL cannot size the memory the kernel would touch";
    private static final String DESCRIPTOR = "changes descriptor flags the HAL manages (O_NONBLOCK, O_ASYNC, close-on-exec)";
    private static final String TTY = "takes or drives a controlling terminal, or injects terminal input";

    private static final List<RefusedIoctl> TABLE = List.of(
            any("KVM_CREATE_VM", 0x0000AE01, FD),
            any("KVM_CREATE_VCPU", 0x0000AE41, FD),
            any("KVM_CREATE_DEVICE", 0xC00CAEE0, FD),
            any("KVM_GET_STATS_FD", 0x0000AECE, FD),
            any("KVM_CREATE_GUEST_MEMFD", 0xC040AED4, FD),
            exact("TIOCGPTPEER", 0x5441, FD),
            any("VFIO_GROUP_GET_DEVICE_FD", 0x00003B6A, FD),
            any("USERFAULTFD_IOC_NEW", 0x0000AA00, FD),
            any("GPIO_GET_LINEHANDLE_IOCTL", 0xC16CB403, FD),
            any("GPIO_GET_LINEEVENT_IOCTL", 0xC030B404, FD),
            any("GPIO_V2_GET_LINE_IOCTL", 0xC250B407, FD),
            exact("DMA_HEAP_IOCTL_ALLOC", 0xC0184800, FD),
            any("DMA_BUF_IOCTL_EXPORT_SYNC_FILE", 0xC0086202, FD),
            any("SYNC_IOC_MERGE", 0xC0303E03, FD),
            any("UDMABUF_CREATE", 0x40187542, FD),
            any("UDMABUF_CREATE_LIST", 0x40087543, FD),
            any("VIDIOC_EXPBUF", 0xC0405610, FD),
            any("MEDIA_IOC_REQUEST_ALLOC", 0x80047C05, FD),
            any("DRM_IOCTL_PRIME_HANDLE_TO_FD", 0xC00C642D, FD),
            any("DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD", 0xC01064C1, FD),
            any("TEE_IOC_SHM_ALLOC", 0xC010A401, FD),
            exact("RNDADDENTROPY", 0x40085203, VARIABLE),
            any("KVM_GET_MSR_INDEX_LIST", 0xC004AE02, VARIABLE),
            any("KVM_GET_SUPPORTED_CPUID", 0xC008AE05, VARIABLE),
            any("KVM_GET_EMULATED_CPUID", 0xC008AE09, VARIABLE),
            any("KVM_GET_MSR_FEATURE_INDEX_LIST", 0xC004AE0A, VARIABLE),
            any("KVM_GET_MSRS", 0xC008AE88, VARIABLE),
            any("KVM_SET_MSRS", 0x4008AE89, VARIABLE),
            any("KVM_SET_CPUID2", 0x4008AE90, VARIABLE),
            any("KVM_GET_CPUID2", 0xC008AE91, VARIABLE),
            any("KVM_GET_SUPPORTED_HV_CPUID", 0xC008AEC1, VARIABLE),
            exact("I2C_RDWR", 0x0707, VARIABLE),
            exact("I2C_SMBUS", 0x0720, VARIABLE),
            any("SPI_IOC_MESSAGE(n)", 0x40006B00, VARIABLE),
            exact("SG_IO", 0x2285, VARIABLE),
            any("USBDEVFS_CONTROL", 0xC0185500, VARIABLE),
            any("USBDEVFS_BULK", 0xC0185502, VARIABLE),
            any("USBDEVFS_SUBMITURB", 0x8038550A, VARIABLE),
            any("USBDEVFS_IOCTL", 0xC0105512, VARIABLE),
            exact("FIONBIO", 0x5421, DESCRIPTOR),
            exact("FIOASYNC", 0x5452, DESCRIPTOR),
            exact("FIONCLEX", 0x5450, DESCRIPTOR),
            exact("FIOCLEX", 0x5451, DESCRIPTOR),
            exact("TIOCSCTTY", 0x540E, TTY),
            exact("TIOCNOTTY", 0x5422, TTY),
            exact("TIOCSTI", 0x5412, TTY),
            exact("TIOCCONS", 0x541D, TTY));

    /** The table by {@code cmd & mask}, one map per mask: every ioctl call through the HAL looks here. */
    private static final java.util.Map<Integer, RefusedIoctl> EXACT = index(RefusedIoctl.EXACT);
    private static final java.util.Map<Integer, RefusedIoctl> ANY_SIZE = index(RefusedIoctl.ANY_SIZE);

    private RefusedIoctls() {}

    private static java.util.Map<Integer, RefusedIoctl> index(int mask) {
        return TABLE.stream().filter(r -> r.mask() == mask)
                .collect(java.util.stream.Collectors.toUnmodifiableMap(r -> r.value() & mask, r -> r));
    }

    private static RefusedIoctl exact(String name, int value, String reason) {
        return new RefusedIoctl(name, value, RefusedIoctl.EXACT, reason);
    }

    private static RefusedIoctl any(String name, int value, String reason) {
        return new RefusedIoctl(name, value, RefusedIoctl.ANY_SIZE, reason);
    }

    public static List<RefusedIoctl> all() {
        return TABLE;
    }

    /** The entry that refuses {@code cmd}, if any. */
    public static Optional<RefusedIoctl> of(int cmd) {
        RefusedIoctl r = EXACT.get(cmd);
        return Optional.ofNullable(r != null ? r : ANY_SIZE.get(cmd & RefusedIoctl.ANY_SIZE));
    }
}
