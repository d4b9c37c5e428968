package org.devhost.web;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.felix.inventory.Format;
import org.apache.felix.inventory.InventoryPrinter;
import org.devhost.kernel.Device;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.DeviceType;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /proc/misc} as an inventory printer: the misc devices by minor, {@code "%3d %s"} per line
 * as Linux and {@code dev:misc} print them; JSON lists minor, name and module.
 */
@Component(property = {
        InventoryPrinter.NAME + "=devhost-proc-misc",
        InventoryPrinter.TITLE + "=devhost /proc/misc",
        InventoryPrinter.FORMAT + "=TEXT",
        InventoryPrinter.FORMAT + "=JSON"})
public final class ProcMiscPrinter implements InventoryPrinter {
    private final DeviceRegistry registry;

    @Activate
    public ProcMiscPrinter(@Reference DeviceRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void print(PrintWriter out, Format format, boolean isZip) {
        List<Device> misc = registry.devices().stream().filter(d -> d.type() == DeviceType.MISC)
                .sorted(Comparator.comparing(Device::number)).toList();
        if (format == Format.JSON) {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (Device d : misc) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("minor", d.number().minor());
                row.put("name", d.name());
                row.put("module", d.module());
                rows.add(row);
            }
            out.print(Json.of(Map.of("misc", rows)));
            return;
        }
        for (Device d : misc) {
            out.println(String.format("%3d %s", d.number().minor(), d.name()));
        }
    }
}
