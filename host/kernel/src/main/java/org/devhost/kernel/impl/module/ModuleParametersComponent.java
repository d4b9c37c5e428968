package org.devhost.kernel.impl.module;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.ModuleInfo;
import org.devhost.kernel.ModuleParameters;
import org.devhost.kernel.ModuleParams;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.service.metatype.MetaTypeInformation;
import org.osgi.service.metatype.MetaTypeService;
import org.osgi.service.metatype.ObjectClassDefinition;

/**
 * {@link ModuleParameters} over Configuration Admin (PID = module name) and Metatype (the
 * module's declared parameters). Stateless; the configuration store holds the values.
 */
@Component(service = ModuleParameters.class)
public final class ModuleParametersComponent implements ModuleParameters {
    private BundleContext context;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile ConfigurationAdmin configAdmin;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile MetaTypeService metatype;

    @Activate
    void activate(BundleContext context) {
        this.context = context;
    }

    private record Module(Bundle bundle, ModuleInfo info) {}

    private Module module(String name) {
        Bundle b = ModuleInfo.find(context, name).orElseThrow(
                () -> new KernelException(Errno.ENOENT, "module " + name + ": no installed bundle is that module"));
        return new Module(b, ModuleInfo.of(b).orElseThrow());
    }

    /** The module's declared parameters, by name, in declaration order. */
    private Map<String, AttributeDefinition> declared(Module m) {
        Map<String, AttributeDefinition> ads = new LinkedHashMap<>();
        MetaTypeService mts = metatype;
        if (mts == null) {
            return ads;
        }
        MetaTypeInformation info = mts.getMetaTypeInformation(m.bundle());
        String pid = m.info().name();
        if (info == null || !Arrays.asList(info.getPids()).contains(pid)) {
            return ads;
        }
        ObjectClassDefinition ocd = info.getObjectClassDefinition(pid, null);
        for (AttributeDefinition ad : ocd.getAttributeDefinitions(ObjectClassDefinition.ALL)) {
            ads.put(ad.getID(), ad);
        }
        return ads;
    }

    @Override
    public List<Parameter> describe(String module) {
        Module m = module(module);
        List<Parameter> out = new ArrayList<>();
        for (AttributeDefinition ad : declared(m).values()) {
            String[] defaults = ad.getDefaultValue();
            out.add(new Parameter(ad.getID(), typeName(ad), ad.getDescription() == null ? "" : ad.getDescription(),
                    defaults == null ? List.of() : List.of(defaults), m.info().readonly().contains(ad.getID())));
        }
        return out;
    }

    /** The type as modinfo names it. */
    private static String typeName(AttributeDefinition ad) {
        String base = switch (ad.getType()) {
            case AttributeDefinition.BOOLEAN -> "bool";
            case AttributeDefinition.INTEGER -> "int";
            case AttributeDefinition.LONG -> "long";
            case AttributeDefinition.STRING -> "charp";
            default -> "value";
        };
        return ad.getCardinality() == 0 ? base : "array of " + base;
    }

    @Override
    public Map<String, Object> get(String module) {
        Module m = module(module);
        Map<String, Object> values = new LinkedHashMap<>();
        for (AttributeDefinition ad : declared(m).values()) {
            String[] d = ad.getDefaultValue();
            values.put(ad.getID(), d == null ? null : ad.getCardinality() == 0 ? d[0] : List.of(d));
        }
        Configuration c = existing(m.info().name());
        if (c != null && c.getProperties() != null) {
            Dictionary<String, Object> p = c.getProperties();
            for (Enumeration<String> e = p.keys(); e.hasMoreElements();) {
                String k = e.nextElement();
                if (!k.startsWith("service.") && !k.startsWith("felix.")) {
                    Object v = p.get(k);
                    values.put(k, v instanceof Object[] a ? Arrays.asList(a) : v);
                }
            }
        }
        return values;
    }

    @Override
    public void set(String module, Map<String, String> values) {
        store(module, values, false);
    }

    @Override
    public void load(String module, Map<String, String> values) {
        store(module, values, true);
    }

    private void store(String module, Map<String, String> values, boolean replace) {
        Module m = module(module);
        Map<String, AttributeDefinition> ads = declared(m);
        boolean loaded = m.bundle().getState() == Bundle.ACTIVE;
        Map<String, Object> typed = new HashMap<>();
        for (Map.Entry<String, String> e : values.entrySet()) {
            String name = e.getKey();
            AttributeDefinition ad = ads.get(name);
            if (ad == null) {
                typed.put(name, e.getValue()); // the module reports it as unknown and ignores it
                continue;
            }
            if (loaded && !replace && m.info().readonly().contains(name)) {
                throw new KernelException(Errno.EPERM, "parameter '" + name + "' of " + module
                        + " is read-only once the module is loaded; unload it and load it with the new value");
            }
            typed.put(name, convert(ad, e.getValue()));
        }
        ConfigurationAdmin cm = configAdmin;
        if (cm == null) {
            throw new KernelException(Errno.ENODEV, "parameters of " + module + ": Configuration Admin is not running");
        }
        try {
            if (replace && typed.isEmpty()) {
                clear(m.info().name()); // no parameters: the declared defaults apply
                return;
            }
            Configuration c = cm.getConfiguration(m.info().name(), "?");
            Dictionary<String, Object> props = c.getProperties() == null || replace ? new Hashtable<>() : c.getProperties();
            typed.forEach(props::put);
            c.update(props);
        } catch (IOException e) {
            throw new KernelException(Errno.EIO, "parameters of " + module + ": the configuration store failed", e);
        }
    }

    @Override
    public Map<String, Object> stored(String module) {
        Configuration c = existing(module);
        Map<String, Object> values = new LinkedHashMap<>();
        if (c != null && c.getProperties() != null) {
            Dictionary<String, Object> p = c.getProperties();
            for (Enumeration<String> e = p.keys(); e.hasMoreElements();) {
                String k = e.nextElement();
                if (!k.equals("service.pid")) {
                    values.put(k, p.get(k));
                }
            }
        }
        return values;
    }

    @Override
    public void restore(String module, Map<String, Object> stored) {
        ConfigurationAdmin cm = configAdmin;
        if (cm == null) {
            throw new KernelException(Errno.ENODEV, "parameters of " + module + ": Configuration Admin is not running");
        }
        try {
            if (stored == null || stored.isEmpty()) {
                clear(module);
            } else {
                cm.getConfiguration(module, "?").update(new Hashtable<>(stored));
            }
        } catch (IOException e) {
            throw new KernelException(Errno.EIO, "parameters of " + module + ": the configuration store failed", e);
        }
    }

    /**
     * Leaves a module with no stored parameter. Not by deleting its configuration: Configuration
     * Admin reports a change to Declarative Services later, on its own thread, and a deletion that
     * arrives after the module's component activated makes DS deactivate and activate it again
     * (init twice, its devices gone for a moment, after the load returned). An update is safe,
     * since DS skips an update whose change count it has already read; so a configuration that
     * holds values is emptied, and none is created where none exists.
     */
    private void clear(String module) throws IOException {
        Configuration c = existing(module);
        if (c != null && !stored(module).isEmpty()) {
            c.update(new Hashtable<>());
        }
    }

    private Configuration existing(String pid) {
        ConfigurationAdmin cm = configAdmin;
        if (cm == null) {
            return null;
        }
        try {
            Configuration[] cs = cm.listConfigurations("(service.pid=" + pid.replaceAll("([\\\\*()])", "\\\\$1") + ")");
            return cs == null ? null : cs[0];
        } catch (IOException | org.osgi.framework.InvalidSyntaxException e) {
            return null;
        }
    }

    /**
     * Text to the declared type, with the same strict rules the modules apply ({@link ModuleParams}).
     * Metatype's own check (min, max, options) sees the parsed value, so {@code 0x10} passes where 16 does.
     */
    static Object convert(AttributeDefinition ad, String text) {
        String name = ad.getID();
        Class<?> type = switch (ad.getType()) {
            case AttributeDefinition.INTEGER -> Integer.class;
            case AttributeDefinition.BOOLEAN -> Boolean.class;
            case AttributeDefinition.LONG -> Long.class;
            default -> String.class;
        };
        Object value = ModuleParams.typed(name, text, type, ad.getCardinality());
        String problem = ad.getCardinality() == 0 ? ad.validate(String.valueOf(value)) : null;
        if (problem != null && !problem.isEmpty()) {
            throw new KernelException(Errno.EINVAL, "parameter '" + name + "': '" + text + "' " + problem);
        }
        return value;
    }
}
