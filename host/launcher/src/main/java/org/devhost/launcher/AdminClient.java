package org.devhost.launcher;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * {@code devhost shell} and {@code devhost dev:lsmod}: the running host's shell, reached through
 * its admin socket ({@code DEVHOST_ADMIN_SOCKET}, default {@code /run/devhost/admin.sock}; the
 * host's {@code devhost.admin.socket}). With arguments it sends them as one command and exits with
 * its status (0 when it succeeded, 1 when it failed, 13 when the host refused the user); without,
 * it sends each line typed until the end of input. Runs with the JDK alone (no framework).
 */
public final class AdminClient {
    static final String DEFAULT_SOCKET = "/run/devhost/admin.sock";
    private static final String EXIT = "\0exit ";

    private AdminClient() {}

    public static void main(String[] args) throws InterruptedException {
        String socket = System.getenv().getOrDefault("DEVHOST_ADMIN_SOCKET", DEFAULT_SOCKET);
        System.exit(run(socket, args, System.in));
    }

    /** The command line from the arguments: one word each, quoted for Gogo when it holds a space or a quote. */
    static String commandLine(String[] args) {
        StringBuilder b = new StringBuilder();
        for (String a : args) {
            if (b.length() > 0) {
                b.append(' ');
            }
            b.append(a.matches("[^\\s'\"]+") ? a : "'" + a.replace("'", "\\'") + "'");
        }
        return b.toString();
    }

    static int run(String socket, String[] args, InputStream stdin) throws InterruptedException {
        SocketChannel c;
        try {
            c = SocketChannel.open(UnixDomainSocketAddress.of(socket));
        } catch (IOException | RuntimeException e) {
            String why = String.valueOf(e.getMessage());
            String errno = why.contains("Permission denied") ? "EACCES" : why.contains("No such file") ? "ENOENT"
                    : why.contains("Connection refused") ? "ECONNREFUSED" : "EIO";
            System.err.println("devhost: cannot reach the running host's shell at " + socket + ": " + why + " (" + errno + ");"
                    + (errno.equals("EACCES") ? " it is for root and the members of the host's devhost.admin.group"
                            : " is the service running? (systemctl status devhost)"));
            return 2;
        }
        try (c) {
            OutputStream out = output(c);
            Thread feed = new Thread(() -> {
                try {
                    if (args.length > 0) {
                        out.write((commandLine(args) + "\n").getBytes(StandardCharsets.UTF_8));
                    } else {
                        stdin.transferTo(out);
                    }
                    out.flush();
                    c.shutdownOutput(); // the end of our commands: the host answers the rest and its status
                } catch (IOException gone) {
                    // the host closed the session
                }
            }, "devhost admin client input");
            feed.setDaemon(true);
            feed.start();
            BufferedReader in = new BufferedReader(new InputStreamReader(input(c), StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null; ) {
                if (line.startsWith(EXIT)) {
                    return Integer.parseInt(line.substring(EXIT.length()).trim());
                }
                System.out.println(line);
            }
            System.err.println("devhost: the host ended the session without a status (it is stopping?)");
            return 2;
        } catch (IOException | NumberFormatException e) {
            System.err.println("devhost: the admin session broke: " + e.getMessage() + " (EIO)");
            return 2;
        }
    }

    /** A stream that reads the channel directly: Channels' streams share one lock, so a read would block a write. */
    static java.io.InputStream input(SocketChannel c) {
        return new java.io.InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return len == 0 ? 0 : c.read(java.nio.ByteBuffer.wrap(b, off, len));
            }
        };
    }

    /** A stream that writes the channel directly (see {@link #input}). */
    static OutputStream output(SocketChannel c) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(b, off, len);
                while (buf.hasRemaining()) {
                    c.write(buf);
                }
            }
        };
    }
}
