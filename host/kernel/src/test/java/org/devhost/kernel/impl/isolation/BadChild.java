package org.devhost.kernel.impl.isolation;

import java.io.DataOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * A child process that speaks the protocol until it breaks it on purpose (MalformedChildTest):
 * it says HELLO as a child must, then sends one malformed message of the kind its second argument
 * names, or ("good") nothing more. It ends when its socket ends, as a child does.
 */
public final class BadChild {
    private BadChild() {}

    public static void main(String[] args) throws Exception {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(Path.of(args[0])));
        InputStream in = Wire.input(ch);
        OutputStream out = Wire.output(ch);
        Wire.write(out, Wire.HELLO, 1, new Wire.Out().l(ProcessHandle.current().pid()).s("bad").done());
        Wire.read(in); // the host's OK
        switch (args[1]) {
            case "huge" -> new DataOutputStream(out).writeInt(Integer.MAX_VALUE); // a frame longer than any may be
            case "unasked" -> Wire.write(out, Wire.OK, 999, new Wire.Out().l(0).done()); // an answer to nothing
            case "unknown" -> Wire.write(out, (byte) 99, 0, new byte[0]); // a kind nobody defined
            case "level" -> Wire.write(out, Wire.LOG, 0, new Wire.Out().s("PANIC").s("x").done()); // no such level
            default -> { } // good: says nothing more
        }
        out.flush();
        while (Wire.read(in) != null) {
            // wait for the end of the socket (the host kills us first when we were bad)
        }
    }
}
