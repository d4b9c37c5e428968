package org.devhost.itests;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HTTP/1.1 over a plain socket, for the requests {@code java.net.http} will not send: another
 * {@code Host} header than the address connected to (what a browser sends after DNS rebinding),
 * and an upload written while the answer is read, so that a server that answers before the body
 * ends (413) is heard even when it then closes the connection ({@code java.net.http} on JDK 17
 * fails such an exchange, or with {@code Expect: 100-continue} waits for good).
 */
final class RawHttp {
    private static final Pattern STATUS = Pattern.compile("^HTTP/1\\.[01] (\\d{3})");

    private RawHttp() {}

    /** An answer: its status code and everything the server sent (status line, headers, body). */
    record Answer(int status, String text) {}

    /**
     * Sends {@code head} (the request line and headers, without the blank line that ends them)
     * to the loopback address on {@code port}, then {@code body} in chunks when it is not null, and
     * reads until the server closes. The body is written on another thread while the answer is
     * read, and a body the server stopped reading is not an error.
     */
    static Answer send(int port, String head, InputStream body) throws IOException {
        return send(port, head, body, -1);
    }

    /**
     * As {@link #send(int, String, InputStream)}; with {@code length} 0 or more the body goes as
     * it is, announced by {@code Content-Length}, instead of in chunks.
     */
    static Answer send(int port, String head, InputStream body, long length) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(60_000);
            OutputStream out = s.getOutputStream();
            String framing = body == null ? "" : length >= 0 ? "Content-Length: " + length + "\r\n" : "Transfer-Encoding: chunked\r\n";
            out.write((head + "\r\nConnection: close\r\n" + framing + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            // a thread of its own: the common pool may be busy for good (a test's output pump runs there)
            Thread writer = new Thread(() -> {
                if (body == null) {
                    return;
                }
                byte[] buf = new byte[64 * 1024];
                try (body) {
                    for (int n; (n = body.read(buf)) > 0; ) {
                        if (length >= 0) {
                            out.write(buf, 0, n);
                            continue;
                        }
                        out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                        out.write(buf, 0, n);
                        out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    }
                    if (length < 0) {
                        out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    }
                    out.flush();
                } catch (IOException stoppedReading) {
                    // the server answered and closed before the end of the body: what a refusal does
                }
            }, "raw-http-body");
            writer.setDaemon(true);
            writer.start();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = in.read(buf)) > 0; ) {
                    got.write(buf, 0, n);
                }
            } catch (IOException reset) {
                // a reset after the answer: what was read stands
            }
            s.close(); // a writer still blocked on a server that stopped reading fails now, and ends
            try {
                writer.join(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            String text = got.toString(StandardCharsets.UTF_8);
            Matcher m = STATUS.matcher(text);
            if (!m.find()) {
                throw new IOException("no HTTP answer; the server sent: " + text);
            }
            return new Answer(Integer.parseInt(m.group(1)), text);
        }
    }
}
