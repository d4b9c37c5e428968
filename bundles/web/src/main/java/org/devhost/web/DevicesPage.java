package org.devhost.web;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.devhost.kernel.Device;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Operation;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The Devices page ({@code /system/console/devices}): every registered device as {@code dev:ls}
 * lists it (name, type, mode, major:minor, module, open files, operations, and its devfs file
 * while devfs is mounted), filterable, and live: the page's script reads {@code devices.json}
 * once a second and redraws the rows, so a driver that comes or goes shows without a reload.
 *
 * <p>{@code GET /system/console/devices.json} answers
 * {@code {"devfs":"/run/devhost/dev"|null,"devices":[{"name":"rust_chrdev0","type":"char",
 * "mode":"crw-------","major":254,"minor":0,"device":"254:0","module":"rust_chrdev","open":0,
 * "operations":["open"],"file":"/run/devhost/dev/rust_chrdev0"|null}, ...]}}, sorted by number.
 *
 * <p>Reads only; thread-safe (the registry is).
 */
@Component(service = Servlet.class, property = {
        "felix.webconsole.label=devices",
        "felix.webconsole.title=Devices",
        "felix.webconsole.category=devhost"})
public final class DevicesPage extends HttpServlet {
    private static final long serialVersionUID = 1L;

    private final transient DeviceRegistry registry;
    private final transient BundleContext context;

    @Activate
    public DevicesPage(@Reference DeviceRegistry registry, BundleContext context) {
        this.registry = registry;
        this.context = context;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (Pages.wantsJson(req)) {
            Pages.json(resp, HttpServletResponse.SC_OK, snapshot());
        } else {
            Pages.page(req, resp, "devices");
        }
    }

    Map<String, Object> snapshot() {
        String mount = devfsMount(context);
        List<Map<String, Object>> rows = new ArrayList<>();
        List<Device> devices = new ArrayList<>(registry.devices());
        devices.sort(Comparator.comparing(Device::number));
        for (Device d : devices) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", d.name());
            row.put("type", d.type().label());
            row.put("mode", Device.modeString(d.mode()));
            row.put("major", d.number().major());
            row.put("minor", d.number().minor());
            row.put("device", d.number().toString());
            row.put("module", d.module());
            row.put("open", d.openCount());
            row.put("operations", d.operations().stream().map(Operation::methodName).collect(Collectors.toList()));
            row.put("file", mount == null ? null : mount + "/" + d.name());
            rows.add(row);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("devfs", mount);
        body.put("devices", rows);
        return body;
    }

    /**
     * Where devfs shows the devices as files, or null when it is not mounted: the property of the
     * marker service devfs registers while mounted (so this bundle needs no devfs package).
     */
    static String devfsMount(BundleContext context) {
        try {
            ServiceReference<?>[] refs = context.getServiceReferences((String) null, "(devhost.devfs.mount=*)");
            return refs == null ? null : String.valueOf(refs[0].getProperty("devhost.devfs.mount"));
        } catch (InvalidSyntaxException | IllegalStateException e) {
            return null;
        }
    }

}
