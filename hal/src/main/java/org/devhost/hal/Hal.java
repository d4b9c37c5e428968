package org.devhost.hal;

import java.util.List;

/**
 * Opens real device nodes of the host.
 *
 * <p>Safety rules, each refusal an {@code EACCES} that says why: the path must be absolute, without
 * {@code ..}, and under one of {@link #allowedPrefixes()} (default {@code /dev/}), also after
 * symbolic links are resolved; the node is opened with {@code O_NOFOLLOW | O_CLOEXEC} and must be a
 * character device ({@code fstat}). A missing path is {@code ENOENT}. Thread-safe.
 *
 * <pre>{@code
 * try (DeviceNode zero = hal.open("/dev/zero", OpenFlags.O_RDONLY)) {
 *     ByteBuffer buf = ByteBuffer.allocateDirect(65536);
 *     zero.read(buf); // 65536 zero bytes
 * }
 * }</pre>
 */
public interface Hal {
    /** Flag for {@link #open}: do not make a terminal the controlling tty ({@code O_NOCTTY}). */
    int O_NOCTTY = 0400;

    /**
     * Opens a node.
     *
     * @param flags {@link org.devhost.kernel.OpenFlags} access mode and {@code O_NONBLOCK}, and
     *     {@link #O_NOCTTY}; {@code O_CLOEXEC} and {@code O_NOFOLLOW} are always added
     * @throws org.devhost.kernel.KernelException EACCES for a refused path, ENOENT for a missing
     *     one, or what {@code open(2)} reports
     */
    DeviceNode open(String path, int flags);

    /** The path prefixes nodes may be opened under. */
    List<String> allowedPrefixes();
}
