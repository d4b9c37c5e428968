package org.devhost.web;

import jakarta.servlet.Servlet;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.Part;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.devhost.kernel.Device;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.ModuleManager;
import org.devhost.kernel.ModuleParameters;
import org.devhost.kernel.ModuleStatus;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The Modules page ({@code /system/console/modules}): {@code lsmod} and {@code modinfo} in one
 * table (metadata, parameters with their values, state, use count and users), with load (upload
 * a jar, with parameters) and unload. Both go through the kernel's {@link ModuleManager}, the code
 * path of {@code dev:insmod} and {@code dev:rmmod}: the same checks, rollback and errno.
 *
 * <p>Endpoints, for scripts too:
 * <ul>
 * <li>{@code GET modules.json}: {@code {"modules":[{"name","state","supervised","restarts","stuckThreads",
 *     "lastFailure","bundleId","symbolicName",
 *     "version","location","size","openFiles","users","useCount","author","description",
 *     "license","alias","devices","parameters":[{"name","type","description","readonly","value"}]}]}}
 * <li>{@code POST modules} with {@code action=load}, a multipart part {@code jar} (the driver's
 *     jar) and optionally {@code parameters} ({@code name=value}, separated by spaces or lines):
 *     {@code {"ok":true,"module":..,"bundleId":..,"devices":[..]}}.
 * <li>{@code POST modules} with {@code action=unload}, {@code module} and {@code force}
 *     ({@code true} is {@code rmmod -f}): {@code {"ok":true,"module":..}}.
 * </ul>
 * A refusal is {@code {"ok":false,"errno":"EBUSY","errnoNumber":16,"message":".."}} with an HTTP
 * status that fits (409 for EBUSY), see {@link Pages#failure}.
 *
 * <p>An uploaded jar is kept in this bundle's data folder {@code uploads} (inside the framework
 * storage, emptied at every start; mode 0700), because the module's location names it; a load that
 * fails deletes it. The upload itself was bounded and spooled by {@link UploadSpool}; the spooled
 * part is deleted as soon as it is copied. A change must come from the console's pages ({@link
 * ConsoleGuard}): scripts send {@code Origin} and {@code X-Devhost-Console: 1}.
 * Thread-safe: the manager runs one load or unload at a time.
 */
@Component(service = Servlet.class, property = {
        "felix.webconsole.label=modules",
        "felix.webconsole.title=Modules",
        "felix.webconsole.category=devhost"})
public final class ModulesPage extends HttpServlet {
    private static final long serialVersionUID = 1L;
    /** What {@code DriverJar} accepts; a larger upload is refused before it fills the disk. */
    private static final long MAX_JAR = 64L << 20;
    private static final AtomicLong UPLOADS = new AtomicLong();

    private final transient ModuleManager modules;
    private final transient ModuleParameters params;
    private final transient DeviceRegistry registry;
    private final transient BundleContext context;

    @Activate
    public ModulesPage(@Reference ModuleManager modules, @Reference ModuleParameters params,
            @Reference DeviceRegistry registry, BundleContext context) {
        this.modules = modules;
        this.params = params;
        this.registry = registry;
        this.context = context;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (Pages.wantsJson(req)) {
            Pages.json(resp, HttpServletResponse.SC_OK, Map.of("modules", table()));
        } else {
            Pages.page(req, resp, "modules");
        }
    }

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException, ServletException {
        String action = req.getParameter("action");
        try {
            if ("load".equals(action)) {
                load(req, resp);
            } else if ("unload".equals(action)) {
                String module = req.getParameter("module");
                modules.unload(module, "true".equals(req.getParameter("force")));
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("ok", true);
                body.put("module", module);
                Pages.json(resp, HttpServletResponse.SC_OK, body);
            } else {
                throw new KernelException(Errno.EINVAL, "action '" + action + "': use load or unload");
            }
        } catch (KernelException e) {
            Pages.failure(resp, e);
        }
    }

    private void load(HttpServletRequest req, HttpServletResponse resp) throws IOException, ServletException {
        Part jar;
        try {
            jar = req.getPart("jar");
        } catch (ServletException | IllegalStateException e) {
            throw new KernelException(Errno.EINVAL, "load: send the jar as multipart/form-data, part 'jar'");
        }
        if (jar == null || jar.getSize() == 0) {
            throw new KernelException(Errno.EINVAL, "load: no jar uploaded (choose the driver's .jar file)");
        }
        Path file;
        try {
            if (jar.getSize() > MAX_JAR) {
                throw new KernelException(Errno.EINVAL, "load: the jar is larger than 64 MiB");
            }
            file = upload(jar);
        } finally {
            jar.delete(); // the spooled part; UploadSpool deletes every part too, this one goes at once
        }
        Map<String, String> values;
        try {
            values = parsed(req.getParameter("parameters"));
        } catch (RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
        ModuleStatus loaded;
        try {
            loaded = modules.load(file.toString(), values, null);
        } catch (RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("ok", true);
        body.put("module", loaded.name());
        body.put("bundleId", loaded.bundleId());
        body.put("devices", devicesOf(loaded.name()));
        Pages.json(resp, HttpServletResponse.SC_OK, body);
    }

    /** The uploaded jar in this bundle's data folder, under a name no other upload has. */
    private Path upload(Part jar) throws IOException {
        java.io.File data = context.getDataFile("uploads");
        if (data == null) {
            throw new KernelException(Errno.EIO, "load: the framework gives this bundle no storage for the upload");
        }
        // the jars stay here as the modules' locations: a folder of the host's user alone, like the spool
        Path dir = UploadSpool.privateFolderKeeping(data.toPath());
        String name = jar.getSubmittedFileName() == null ? "driver.jar"
                : Path.of(jar.getSubmittedFileName().replace('\\', '/')).getFileName().toString();
        name = name.replaceAll("[^A-Za-z0-9._-]", "_");
        Path file = dir.resolve(UPLOADS.incrementAndGet() + "-" + name);
        try (InputStream in = jar.getInputStream(); OutputStream out = Files.newOutputStream(file)) {
            in.transferTo(out);
        } catch (IOException e) {
            Files.deleteIfExists(file); // never a half-written jar left behind
            throw e;
        }
        return file;
    }

    /** {@code name=value} pairs separated by white space, as {@code insmod} takes them; EINVAL otherwise. */
    static Map<String, String> parsed(String text) {
        Map<String, String> values = new LinkedHashMap<>();
        if (text == null || text.isBlank()) {
            return values;
        }
        for (String p : text.trim().split("\\s+")) {
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new KernelException(Errno.EINVAL, "load: parameter '" + p + "' is not name=value");
            }
            values.put(p.substring(0, eq), p.substring(eq + 1));
        }
        return values;
    }

    private List<String> devicesOf(String module) {
        return registry.devices().stream().filter(d -> d.module().equals(module)).map(Device::name).sorted()
                .collect(Collectors.toList());
    }

    List<Map<String, Object>> table() {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (ModuleStatus m : modules.modules()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", m.name());
            row.put("state", m.state().label());
            row.put("supervised", m.supervised());
            row.put("restarts", m.restarts());
            row.put("stuckThreads", m.stuckThreads());
            row.put("lastFailure", m.lastFailure() == null ? null : m.lastFailure().kind() + ": "
                    + m.lastFailure().reason() + " at " + java.time.Instant.ofEpochMilli(m.lastFailure().timeMillis()));
            row.put("bundleId", m.bundleId());
            row.put("symbolicName", m.symbolicName());
            row.put("version", m.version());
            row.put("location", m.location());
            row.put("size", m.size());
            row.put("openFiles", m.openFiles());
            row.put("users", m.users());
            row.put("useCount", m.useCount());
            row.put("author", m.info().author());
            row.put("description", m.info().description());
            row.put("license", m.info().license());
            row.put("alias", m.info().alias());
            row.put("devices", devicesOf(m.name()));
            row.put("parameters", declared(m.name()));
            rows.add(row);
        }
        return rows;
    }

    private List<Map<String, Object>> declared(String module) {
        List<Map<String, Object>> out = new ArrayList<>();
        List<ModuleParameters.Parameter> declared;
        Map<String, Object> values;
        try {
            declared = params.describe(module);
            values = params.get(module);
        } catch (KernelException e) {
            return out; // uninstalled between the listing and this read
        }
        for (ModuleParameters.Parameter p : declared) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", p.name());
            row.put("type", p.type());
            row.put("description", p.description());
            row.put("readonly", p.readonly());
            row.put("value", ModuleParameterCheck.text(values.get(p.name())));
            out.add(row);
        }
        return out;
    }
}
