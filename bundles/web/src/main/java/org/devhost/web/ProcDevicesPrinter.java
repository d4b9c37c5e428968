package org.devhost.web;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.felix.inventory.Format;
import org.apache.felix.inventory.InventoryPrinter;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Region;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /proc/devices} as an inventory printer: a tab of the console's Status page and a file in
 * its status dump. Text is Linux's layout ({@code Character devices:}, then {@code "%3d %s"} per
 * region, as {@code dev:majors}); JSON lists the regions with their minors and owners.
 */
@Component(property = {
        InventoryPrinter.NAME + "=devhost-proc-devices",
        InventoryPrinter.TITLE + "=devhost /proc/devices",
        InventoryPrinter.FORMAT + "=TEXT",
        InventoryPrinter.FORMAT + "=JSON"})
public final class ProcDevicesPrinter implements InventoryPrinter {
    private final DeviceRegistry registry;

    @Activate
    public ProcDevicesPrinter(@Reference DeviceRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void print(PrintWriter out, Format format, boolean isZip) {
        List<Region> regions = registry.regions();
        if (format == Format.JSON) {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (Region r : regions) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("major", r.major());
                row.put("name", r.name());
                row.put("baseMinor", r.baseMinor());
                row.put("count", r.count());
                row.put("module", r.module());
                rows.add(row);
            }
            out.print(Json.of(Map.of("characterDevices", rows)));
            return;
        }
        out.println("Character devices:");
        for (Region r : regions) {
            out.println(String.format("%3d %s", r.major(), r.name()));
        }
    }
}
