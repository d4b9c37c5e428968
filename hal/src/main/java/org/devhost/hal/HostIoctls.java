package org.devhost.hal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Typed forms of the integer-valued ioctls the host's nodes answer. */
public final class HostIoctls {
    private HostIoctls() {}

    /** FIONREAD: bytes waiting to be read. */
    public static int bytesAvailable(DeviceNode node) {
        return intOut(node, KnownIoctls.FIONREAD);
    }

    /** TIOCGPTN on a {@code /dev/ptmx} master: the N of {@code /dev/pts/N}. */
    public static int ptyNumber(DeviceNode master) {
        return intOut(master, KnownIoctls.TIOCGPTN);
    }

    /** TIOCSPTLCK: unlock ({@code false}) or lock the slave side. */
    public static void setPtyLocked(DeviceNode master, boolean locked) {
        ByteBuffer b = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
        b.putInt(0, locked ? 1 : 0);
        master.ioctl(KnownIoctls.TIOCSPTLCK, b);
    }

    /** KVM_GET_API_VERSION on {@code /dev/kvm} (12 on every kernel since 2.6.22). */
    public static int kvmApiVersion(DeviceNode kvm) {
        return kvm.ioctl(KnownIoctls.KVM_GET_API_VERSION, 0);
    }

    /** LOOP_CTL_GET_FREE on {@code /dev/loop-control}: a free loop device number (it may create one). */
    public static int loopGetFree(DeviceNode loopControl) {
        return loopControl.ioctl(KnownIoctls.LOOP_CTL_GET_FREE, 0);
    }


    private static int intOut(DeviceNode node, int cmd) {
        ByteBuffer b = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
        node.ioctl(cmd, b);
        return b.getInt(0);
    }
}
