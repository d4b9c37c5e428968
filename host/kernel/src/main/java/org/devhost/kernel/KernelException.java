package org.devhost.kernel;

import java.util.Objects;

/**
 * The one failure type of the kernel API: an {@link Errno} plus a sentence a person can act on.
 *
 * <p>The message reads like a Linux tool's: {@code "what failed: strerror (ENAME)"}, for example
 * {@code "open 254:7: No such device or address (ENXIO)"}. It is unchecked so that driver code
 * written as lambdas stays short; every kernel method that can fail says which errno it uses.
 */
public class KernelException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Errno errno;

    /**
     * @param errno what went wrong, as Linux would report it
     * @param what the operation and its object, e.g. {@code "open rust_chrdev0"}; the errno's
     *     description and name are appended
     */
    public KernelException(Errno errno, String what) {
        this(errno, what, null);
    }

    public KernelException(Errno errno, String what, Throwable cause) {
        super(what + ": " + Objects.requireNonNull(errno).description() + " (" + errno.name() + ")", cause);
        this.errno = errno;
    }

    public Errno errno() {
        return errno;
    }
}
