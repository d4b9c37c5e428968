package org.devhost.web;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;

/**
 * What the devhost pages share: how a request for a page's JSON is told from one for the page,
 * how a page is written (its HTML and script from this bundle's resources, with the plugin root
 * filled in), and how a kernel failure becomes an HTTP answer a script can read.
 *
 * <p>The console calls a plain servlet plugin in two ways: for an HTML request (no extension) it
 * writes its header, calls the servlet, then its footer; for any other request ({@code
 * devices.json}) and every non-GET it hands the request to the servlet alone.
 *
 * <p>Stateless; thread-safe.
 */
final class Pages {
    private Pages() {}

    /** The request attribute in which the console gives the plugin's own path, e.g. {@code /system/console/devices}. */
    static final String PLUGIN_ROOT = "felix.webconsole.pluginRoot";

    static boolean wantsJson(HttpServletRequest req) {
        return req.getRequestURI().endsWith(".json");
    }

    /**
     * Writes a page: the bundle resource {@code name}.html followed by {@code name}.js in a
     * script element, with {@code @PLUGIN_ROOT@} replaced by the plugin's path (as a JSON string in
     * the script). The script builds the rows itself with text nodes, so no value from a driver is
     * ever parsed as HTML.
     */
    static void page(HttpServletRequest req, HttpServletResponse resp, String name) throws IOException {
        Object root = req.getAttribute(PLUGIN_ROOT);
        String pluginRoot = root != null ? root.toString() : req.getContextPath() + "/" + name;
        String html = resource(name + ".html");
        String js = resource(name + ".js").replace("@PLUGIN_ROOT@", Json.of(pluginRoot));
        resp.getWriter().append(html).append("\n<script>\n").append(js).append("\n</script>\n");
    }

    static void json(HttpServletResponse resp, int status, Object value) throws IOException {
        resp.setStatus(status);
        resp.setContentType("application/json");
        resp.setCharacterEncoding("UTF-8");
        // the data changes from one request to the next: never from a cache
        resp.setHeader("Cache-Control", "no-store");
        resp.getWriter().write(Json.of(value));
    }

    /**
     * A kernel failure as scripts get it: {@code {"ok":false,"errno":"EBUSY","errnoNumber":16,
     * "message":"..."}} with an HTTP status that fits the errno (409 for EBUSY and EEXIST, 404 for
     * ENOENT, 400 for EINVAL, 403 for EACCES and EPERM, 500 otherwise).
     */
    static void failure(HttpServletResponse resp, KernelException e) throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("ok", false);
        body.put("errno", e.errno().name());
        body.put("errnoNumber", e.errno().number());
        body.put("message", e.getMessage());
        json(resp, status(e.errno()), body);
    }

    static int status(Errno errno) {
        return switch (errno) {
            case EBUSY, EEXIST -> HttpServletResponse.SC_CONFLICT;
            case ENOENT -> HttpServletResponse.SC_NOT_FOUND;
            case EINVAL -> HttpServletResponse.SC_BAD_REQUEST;
            case EACCES, EPERM -> HttpServletResponse.SC_FORBIDDEN;
            default -> HttpServletResponse.SC_INTERNAL_SERVER_ERROR;
        };
    }

    private static String resource(String name) {
        try (InputStream in = Pages.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("the bundle lacks its resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
