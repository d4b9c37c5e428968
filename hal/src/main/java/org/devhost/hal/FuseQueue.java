package org.devhost.hal;

import java.nio.ByteBuffer;

/**
 * One queue of FUSE over io_uring (Linux 6.14+) on a {@link FuseChannel}: an io_uring of its own
 * whose {@link #depth()} entries are registered on the channel's {@code /dev/fuse} descriptor as
 * queue {@link #id()}, the queue the kernel fills with the requests made on CPU {@code id}. Made
 * by {@link FuseChannel#queue}.
 *
 * <p>Each entry has two areas the kernel writes a request into and reads the reply from:
 * {@link #header} ({@code struct fuse_uring_req_header}: the {@code fuse_in_header} or {@code
 * fuse_out_header} at {@link #IN_OUT}, the operation's own header such as {@code fuse_read_in} at
 * {@link #OP}, and the entry's record at {@link #ENTRY}, whose {@link #PAYLOAD_SIZE} says how many
 * payload bytes came and go) and {@link #payload} (what follows the operation's header: a write's
 * data, a lookup's name; in a reply, the whole reply body). {@link #take} gives an entry that holds
 * a request; {@link #commit} sends the reply written in its areas and makes it wait for the next
 * request, in one submission.
 *
 * <p>The kernel ties each entry's wait to the thread that submitted it, and ends the waits of a
 * thread that exits: a thread that commits must live until the queue is closed. Thread-safe:
 * threads may take and commit at once. {@link #close()} is idempotent; takes in flight then fail
 * with {@code ENODEV}.
 *
 * @since 1.4
 */
@org.osgi.annotation.versioning.ProviderType
public interface FuseQueue extends AutoCloseable {
    /** Size of an entry's header area ({@code struct fuse_uring_req_header}). */
    int HEADER_SIZE = 288;
    /** Offset of the {@code fuse_in_header} (request) or {@code fuse_out_header} (reply) in the header area. */
    int IN_OUT = 0;
    /** Offset of the operation's header ({@code fuse_read_in}, {@code fuse_write_in}, ...) in the header area. */
    int OP = 128;
    /** Offset of the entry's record ({@code struct fuse_uring_ent_in_out}) in the header area. */
    int ENTRY = 256;
    /** Offset of the payload's size in bytes (u32): the kernel's for a request, the server's for a reply. */
    int PAYLOAD_SIZE = ENTRY + 16;

    /** The queue's number: requests made on this CPU come here. */
    int id();

    /** Its number of entries registered. */
    int depth();

    /**
     * Registers {@code more} entries, up to the capacity the queue was opened with (the first
     * call after the INIT reply registers the queue; later ones add room: a queue whose entries
     * are all held by requests blocked in drivers makes the next requests of its CPU wait). The
     * entries' waits are the calling thread's (see above).
     * @return the number of entries now
     * @throws org.devhost.kernel.KernelException the kernel's refusal (the connection then goes
     *     back to {@code /dev/fuse}); ENODEV when the queue ended
     */
    int grow(int more);

    /** Entry {@code entry}'s header area, {@link #HEADER_SIZE} bytes, native byte order. */
    ByteBuffer header(int entry);

    /** Entry {@code entry}'s payload area, native byte order. */
    ByteBuffer payload(int entry);

    /**
     * Waits until an entry holds a request and returns its index; its areas are the caller's
     * until it commits the entry.
     * @throws org.devhost.kernel.KernelException ENODEV when the connection ended or the queue was
     *     closed; the kernel's error when it refused an entry
     */
    int take();

    /**
     * Sends the reply written in entry {@code entry}'s areas ({@link #IN_OUT} and {@link
     * #PAYLOAD_SIZE} set, the body in the payload) and makes the entry wait for the next request.
     * @throws org.devhost.kernel.KernelException ENODEV when the connection ended or the queue was closed
     */
    void commit(int entry);

    /**
     * {@link #commit} then {@link #take} in one system call: how a thread that serves one request
     * after another spends one call per request.
     */
    int commitAndTake(int entry);

    /** Pins the calling thread to this queue's CPU; false when the system refused. */
    boolean pin();

    /** Ends the queue: its ring is closed and its memory freed once no call is in flight; idempotent. */
    @Override
    void close();
}
