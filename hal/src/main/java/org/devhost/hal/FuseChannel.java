package org.devhost.hal;

import java.nio.ByteBuffer;

/**
 * A mounted FUSE file system seen from its server: the {@code /dev/fuse} descriptor the kernel
 * sends requests on, and the mount it belongs to. Made by {@link Hal#mountFuse}.
 *
 * <p>The HAL moves bytes and owns the mount; the server speaks the protocol ({@code fuse_kernel.h}):
 * {@link #receive} gives one whole request, {@link #send} writes one whole reply or notification.
 * Buffers must be direct; the same buffer passed again costs no address lookup, so a server thread
 * keeps one buffer and moves its position and limit between the request and the reply.
 *
 * <p>Thread-safe: several threads may receive at once (the kernel gives each request to one of
 * them) and send at once. {@link #close()} is idempotent: it detaches the mount and ends the
 * connection, so every receive in flight or later fails with {@code ENODEV}; the descriptor itself
 * is closed when the last call in flight has returned.
 *
 * @since 1.2
 */
@org.osgi.annotation.versioning.ProviderType
public interface FuseChannel extends AutoCloseable {
    /** The absolute mount point. */
    String mountPoint();

    /** The mount options as given to the kernel (without the descriptor number). */
    String options();

    /** True when the mount was made by the setuid {@code fusermount3} helper (the host is not root). */
    boolean viaHelper();

    /**
     * Waits for one request and reads it whole into {@code dst}, from its position; the position
     * advances by the request's length. {@code dst} must have room for the largest request: the
     * negotiated {@code max_write} plus a page for the headers (the kernel refuses smaller reads
     * with {@code EINVAL}). Interrupted and spurious wake-ups ({@code EINTR}, {@code EAGAIN},
     * {@code ENOENT}) read again.
     * @return the request's length in bytes
     * @throws org.devhost.kernel.KernelException ENODEV when the file system is unmounted or the
     *     channel closed; EINVAL for a heap buffer or one too small
     */
    int receive(ByteBuffer dst);

    /**
     * Writes one message (a reply or a notification) whole, from {@code src}'s position to its
     * limit; the position does not move.
     * @return false when the kernel no longer waits for the reply (the request was interrupted,
     *     {@code ENOENT}): not an error
     * @throws org.devhost.kernel.KernelException ENODEV when the connection is gone; EINVAL for a
     *     malformed message or a heap buffer
     */
    boolean send(ByteBuffer src);

    /**
     * Opens queue {@code id} of FUSE over io_uring on this channel: an io_uring with room for
     * {@code capacity} entries, each with a payload area of {@code payloadSize} bytes (at least the
     * largest request or reply body the INIT reply allows), none registered yet. Made before the
     * INIT reply that accepts {@code FUSE_OVER_IO_URING} (once accepted, the kernel holds every
     * request until the queues are registered, or one registration fails), registered after it
     * with {@link FuseQueue#grow}. The kernel sends requests through the queues once every CPU's
     * queue has an entry; {@code /dev/fuse} still carries INTERRUPT, FORGET and notifications.
     * @throws org.devhost.kernel.KernelException EOPNOTSUPP when this HAL backend has no io_uring
     *     (both of devhost's have it); the system's error when the ring cannot be made
     * @since 1.4
     */
    default FuseQueue queue(int id, int capacity, int payloadSize) {
        throw new org.devhost.kernel.KernelException(org.devhost.kernel.Errno.EOPNOTSUPP,
                "this HAL backend has no io_uring");
    }

    /** Whether {@link #queue} can work with this HAL backend (the kernel may still refuse). @since 1.4 */
    default boolean hasQueues() {
        return false;
    }

    /** Detaches the mount ({@code MNT_DETACH}) and ends the connection; idempotent. */
    @Override
    void close();
}
