package org.devhost.kernel.impl.chrdev;

/** What a module owns: a chrdev region or a misc device. */
interface Registration extends AutoCloseable {
    /** Revokes the devices without waiting (see {@link CharDevice#beginRevoke()}); close() does the rest. */
    void beginRevoke();

    /** Revokes, waits (bounded), removes the devices and frees the numbers. Idempotent. */
    @Override
    void close();
}
