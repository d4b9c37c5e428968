package org.devhost.hal.common;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;

/**
 * A stand-in, in the kernel's tests, for the HAL's {@code org.devhost.hal.common.NodeWait} (the
 * kernel does not depend on the HAL): what the stack of a thread waiting for a host node shows. Like
 * a thread in the HAL's {@code poll(2)}, a thread here is in native code, so Java sees it RUNNABLE;
 * it returns when a byte arrives on the pipe.
 */
public final class NodeWait {
    private NodeWait() {}

    /** Blocks in a native read of {@code wake} until a byte comes. Same class and method name as the HAL's wait. */
    public static void await(Pipe.SourceChannel wake) throws IOException {
        wake.read(ByteBuffer.allocate(1));
    }
}
