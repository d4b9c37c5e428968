package org.devhost.kernel;

/**
 * The entries of a device's operation table (the {@code #[vtable]} of Rust-for-Linux).
 *
 * <p>The kernel records, once per registration, which of these a driver's {@link FileOperations}
 * really overrides; {@code dev:ls} shows that set. {@link #OPEN} is always present.
 */
public enum Operation {
    OPEN("open"),
    RELEASE("release"),
    READ("read"),
    WRITE("write"),
    SEEK("seek"),
    IOCTL("ioctl"),
    POLL("poll"),
    FSYNC("fsync");

    private final String methodName;

    Operation(String methodName) {
        this.methodName = methodName;
    }

    /** The {@link FileOperations} method that implements this entry. */
    public String methodName() {
        return methodName;
    }
}
