package org.devhost.web;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.ModuleInfo;
import org.devhost.kernel.ModuleParameters;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Module parameters edited on the console's Configuration page go through the kernel's {@link
 * ModuleParameters#set}, as {@code dev:insmod}'s do, instead of straight into Configuration Admin.
 *
 * <p>Why: Configuration Admin stores any value it is given, and the module would only find out in
 * its {@code @Modified} method, after the bad value is stored and with nobody to tell. Here a value
 * that does not fit its parameter is refused before anything is stored: the save answers HTTP 400
 * with the kernel's message ({@code ... (EINVAL)}), which the Configuration page shows in its
 * error dialog, and the module keeps running with its old value. A read-only parameter changed
 * while the module is loaded is EPERM (403), the same rule as the shell's.
 *
 * <p>What it intercepts: a POST to {@code /system/console/configMgr/PID} that saves ({@code apply}
 * without {@code delete}) a configuration whose PID is an installed module. Only the parameters
 * the form changed are passed on (the form sends every field, read-only ones included); when all
 * of them are accepted the filter answers the save itself. Everything else goes on to the console.
 * It is a whiteboard filter in the console's own servlet context, so it runs only after the
 * console has checked the credentials.
 *
 * <p>Thread-safe: holds no state of its own.
 */
@Component(service = Filter.class, property = {
        "osgi.http.whiteboard.filter.pattern=/configMgr/*",
        "osgi.http.whiteboard.context.select=(osgi.http.whiteboard.context.name=org.apache.felix.webconsole)"})
public final class ModuleParameterCheck implements Filter {
    private final ModuleParameters params;
    private final BundleContext context;

    @Activate
    public ModuleParameterCheck(@Reference ModuleParameters params, BundleContext context) {
        this.params = params;
        this.context = context;
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest req = (HttpServletRequest) request;
        HttpServletResponse resp = (HttpServletResponse) response;
        String module = moduleSaved(req);
        if (module == null) {
            chain.doFilter(request, response);
            return;
        }
        try {
            Map<String, String> changed = changes(req, module);
            if (!changed.isEmpty()) {
                params.set(module, changed);
            }
        } catch (KernelException e) {
            // The page's error dialog puts the body into its HTML as it is, and the message quotes
            // what was typed: escaped, so a value is shown and never run.
            resp.setStatus(Pages.status(e.errno()));
            resp.setContentType("text/plain");
            resp.setCharacterEncoding("UTF-8");
            resp.getWriter().write((module + ": " + e.getMessage()).replace("&", "&amp;").replace("<", "&lt;")
                    .replace(">", "&gt;"));
            return;
        }
        Pages.json(resp, HttpServletResponse.SC_OK, Map.of("ok", true, "module", module));
    }

    /** The module whose parameters this request saves, or null when it is not such a request. */
    private String moduleSaved(HttpServletRequest req) {
        if (!"POST".equals(req.getMethod()) || req.getParameter("apply") == null || req.getParameter("delete") != null
                || req.getParameter("propertylist") == null || req.getParameter("factoryPid") != null) {
            return null;
        }
        String path = Objects.requireNonNullElse(req.getPathInfo(), req.getServletPath());
        String pid = path.substring(path.lastIndexOf('/') + 1);
        if (pid.isEmpty() || ModuleInfo.find(context, pid).isEmpty()) {
            return null;
        }
        return pid;
    }

    /** The form's values that differ from the module's current ones, as text. */
    private Map<String, String> changes(HttpServletRequest req, String module) {
        Map<String, Object> current = params.get(module);
        Map<String, String> changed = new LinkedHashMap<>();
        for (String name : req.getParameter("propertylist").split(",")) {
            name = name.trim();
            String[] posted = req.getParameterValues(name);
            if (name.isEmpty() || posted == null) {
                continue;
            }
            String value;
            if (isBoolean(current.get(name))) {
                value = posted[0]; // a checkbox ("true") comes before its hidden "false"
            } else {
                List<String> items = new ArrayList<>(Arrays.asList(posted));
                if (items.size() > 1) {
                    items.removeIf(String::isEmpty);
                }
                value = String.join(",", items);
            }
            if (!value.equals(text(current.get(name)))) {
                changed.put(name, value);
            }
        }
        return changed;
    }

    private static boolean isBoolean(Object v) {
        return v instanceof Boolean || "true".equals(v) || "false".equals(v);
    }

    /** A parameter's value as text: lists and arrays comma-separated, as {@code insmod} takes them. */
    static String text(Object v) {
        if (v == null) {
            return "";
        }
        if (v instanceof Collection<?> c) {
            return c.stream().map(String::valueOf).collect(Collectors.joining(","));
        }
        if (v.getClass().isArray()) {
            List<String> items = new ArrayList<>();
            for (int i = 0; i < Array.getLength(v); i++) {
                items.add(String.valueOf(Array.get(v, i)));
            }
            return String.join(",", items);
        }
        return v.toString();
    }
}
