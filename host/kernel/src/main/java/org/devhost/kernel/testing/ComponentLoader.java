package org.devhost.kernel.testing;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Array;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import javax.xml.parsers.DocumentBuilderFactory;
import org.devhost.kernel.Device;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.KernelModule;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.MiscDeviceProperties;
import org.devhost.kernel.ModuleParams;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * What the host's Declarative Services, Configuration Admin and misc-device whiteboard do with a
 * driver component, done from what bnd wrote at build time, so a test loads the class as the host
 * does: the component description ({@code OSGI-INF/<class>.xml}: init, references, properties,
 * services, deactivate), the Metatype ({@code OSGI-INF/metatype/<pid>.xml}: the parameters' types
 * and bounds) and the module header in the manifest ({@code @KernelModule}). A typo in
 * {@code @MiscDeviceProperties}, a mode out of range or a parameter of the wrong type fails here as
 * in the host.
 *
 * <p>Supported, which is what devhost's drivers and documents use: an {@code @Activate}
 * constructor or method, or none; references to {@code DeviceRegistry}, and to {@code
 * LoggerFactory} as a {@code Logger} or a {@code LoggerFactory}, by constructor parameter or field;
 * the component's properties as a {@code Map} or as a component property type (an annotation,
 * with DS's name mapping: {@code my_param} is {@code my.param}); a {@code @Deactivate} method taking
 * nothing, a {@code Map}, an {@code int} reason or a property type. Anything else is refused with a
 * message that names it. Stateless apart from the component ids it hands out; thread-safe.
 */
final class ComponentLoader {
    private static final AtomicLong IDS = new AtomicLong();
    /** {@code ComponentConstants.DEACTIVATION_REASON_BUNDLE_STOPPED}: what a stop or an rmmod gives a deactivate. */
    private static final int BUNDLE_STOPPED = 6;

    private ComponentLoader() {}

    /** A reference of the description: its interface and where it goes (a constructor parameter, or a field). */
    record Reference(String name, String service, int parameter, String field, boolean optional) {}

    /** What bnd wrote for the component. */
    record Description(String name, String implementation, int init, String activate, String deactivate,
            String configurationPid, String configurationPolicy, Map<String, Object> properties, List<String> services,
            List<Reference> references) {}

    /** Loads {@code type} into {@code kernel} with {@code parameters} ({@code name=value}, as insmod takes them). */
    static <C> LoadedModule<C> load(TestKernel kernel, Class<C> type, String... parameters) {
        Description d = describe(type);
        Path where = codeSource(type);
        String module = moduleName(type, where);
        Map<String, Object> props = new LinkedHashMap<>(d.properties());
        // The host keeps a module's parameters under its module name (ModuleParameters): the
        // component sees them only when its configuration PID is that name.
        boolean configured = List.of(d.configurationPid().split("\\s+")).stream()
                .anyMatch(pid -> pid.equals(module) || pid.equals("$") && d.name().equals(module));
        if (parameters.length > 0 && !configured) {
            throw new IllegalStateException(type.getName() + " is module " + module + ", whose parameters the host keeps under"
                    + " the configuration PID '" + module + "', but the component reads '" + d.configurationPid() + "': give it"
                    + " @Component(configurationPid = \"" + module + "\")");
        }
        Map<String, Object> config = parameters(where, module, parameters);
        if (!config.isEmpty() && !"ignore".equals(d.configurationPolicy())) {
            props.putAll(config);
            props.put("service.pid", module);
        } else if (config.isEmpty() && "require".equals(d.configurationPolicy())) {
            throw new IllegalStateException(type.getName() + " has configuration-policy require: the host starts it only"
                    + " with parameters; give some (load(" + type.getSimpleName() + ".class, \"name=value\"))");
        }
        props.put("component.name", d.name()); // DS's own, after the configuration: never overridden
        props.put("component.id", IDS.incrementAndGet());
        Map<String, Object> seen = Collections.unmodifiableMap(props);
        DeviceRegistry registry = kernel.load(module);
        C component;
        MiscDevice misc = null;
        try {
            component = construct(kernel, module, registry, type, d, seen);
            for (Reference r : d.references()) {
                if (r.field() != null) {
                    Field f = field(type, r.field());
                    f.set(component, referenced(kernel, module, registry, r, f.getType(), type));
                }
            }
            if (d.activate() != null && d.init() == 0) {
                invoke(component, type, d.activate(), seen, 0, "activate");
            }
            if (d.services().contains(FileOperations.class.getName()) && seen.get(MiscDeviceProperties.NAME) != null) {
                try {
                    misc = registry.registerMisc(String.valueOf(seen.get(MiscDeviceProperties.NAME)),
                            intProperty(seen, MiscDeviceProperties.MINOR, MiscDevice.DYNAMIC_MINOR),
                            intProperty(seen, MiscDeviceProperties.MODE, Device.DEFAULT_MODE), (FileOperations<?>) component);
                } catch (RuntimeException e) {
                    // the host's whiteboard gives the service back, and DS deactivates the component
                    if (d.deactivate() != null) {
                        invoke(component, type, d.deactivate(), seen, BUNDLE_STOPPED, "deactivate");
                    }
                    throw e;
                }
            }
        } catch (RuntimeException | Error e) {
            kernel.unload(registry); // a failed init leaves nothing registered, as in the host
            throw e;
        } catch (ReflectiveOperationException e) {
            kernel.unload(registry);
            throw new IllegalStateException("cannot load " + type.getName() + ": " + e, e);
        }
        return new LoadedModule<>(module, component, registry, seen, misc, d);
    }

    /** Unloads as a bundle stop does: the one-class form's device first, then the component's deactivate, then everything left. */
    static void unload(TestKernel kernel, LoadedModule<?> m) {
        try {
            if (m.miscDevice() != null) {
                m.miscDevice().close();
            }
            String deactivate = m.description().deactivate();
            if (deactivate != null) {
                invoke(m.component(), m.component().getClass(), deactivate, m.properties(), BUNDLE_STOPPED, "deactivate");
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot deactivate " + m.name() + ": " + e, e);
        } finally {
            kernel.unload(m.registry());
        }
    }

    // ---- what bnd wrote ----

    static Description describe(Class<?> type) {
        String resource = "OSGI-INF/" + type.getName() + ".xml";
        URL url = type.getClassLoader().getResource(resource);
        if (url == null) {
            throw new IllegalStateException("no component description " + resource + " on the class path: " + type.getName()
                    + " is not a Declarative Services component, or bnd has not processed it yet (the bnd-maven-plugin's"
                    + " bnd-process goal writes it before the tests run; an IDE that compiles without it has none)");
        }
        Element root = xml(url).getDocumentElement();
        Map<String, Object> properties = new LinkedHashMap<>();
        for (Element p : children(root, "property")) {
            properties.put(p.getAttribute("name"), propertyValue(p));
        }
        List<String> services = new ArrayList<>();
        for (Element s : children(root, "service")) {
            for (Element provide : children(s, "provide")) {
                services.add(provide.getAttribute("interface"));
            }
        }
        List<Reference> references = new ArrayList<>();
        for (Element r : children(root, "reference")) {
            if (!r.getAttribute("bind").isEmpty()) {
                throw new IllegalStateException(type.getName() + ": reference " + r.getAttribute("name")
                        + " uses a bind method; the testing kit takes references by constructor parameter or field");
            }
            references.add(new Reference(r.getAttribute("name"), r.getAttribute("interface"),
                    r.getAttribute("parameter").isEmpty() ? -1 : Integer.parseInt(r.getAttribute("parameter")),
                    r.getAttribute("field").isEmpty() ? null : r.getAttribute("field"),
                    r.getAttribute("cardinality").startsWith("0..")));
        }
        String name = root.getAttribute("name");
        String pid = root.getAttribute("configuration-pid");
        return new Description(name, type.getName(), root.getAttribute("init").isEmpty() ? 0 : Integer.parseInt(root.getAttribute("init")),
                root.hasAttribute("activate") ? root.getAttribute("activate") : hasMethod(type, "activate") ? "activate" : null,
                root.hasAttribute("deactivate") ? root.getAttribute("deactivate")
                        : hasMethod(type, "deactivate") ? "deactivate" : null,
                pid.isEmpty() ? name : pid, root.getAttribute("configuration-policy"), properties, services, references);
    }

    /** Where the class was loaded from: its classes folder or its jar. */
    static Path codeSource(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException | RuntimeException e) {
            throw new IllegalStateException("cannot tell where " + type.getName() + " was loaded from: " + e, e);
        }
    }

    /** The module name in the manifest bnd wrote beside the class ({@code Provide-Capability: devhost.module;devhost.module=NAME}). */
    static String moduleName(Class<?> type, Path where) {
        String header;
        try {
            header = read(where, "META-INF/MANIFEST.MF", in -> new Manifest(in).getMainAttributes().getValue("Provide-Capability"));
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot read the manifest beside " + type.getName() + ": " + e, e);
        }
        String name = capability(header == null ? "" : header, KernelModule.NAMESPACE);
        if (name == null) {
            throw new IllegalStateException("no module name for " + type.getName() + ": the manifest beside it (" + where
                    + ") has no " + KernelModule.NAMESPACE + " capability; give the class @KernelModule(name = ...) and build with bnd");
        }
        return name;
    }

    /** The attribute named as its namespace in a clause of that namespace, in a Provide-Capability header; null when none. */
    static String capability(String header, String namespace) {
        for (List<String> clause : clauses(header)) {
            if (!clause.get(0).equals(namespace)) {
                continue;
            }
            for (String attribute : clause.subList(1, clause.size())) {
                int eq = attribute.indexOf('=');
                String key = eq < 0 ? attribute : attribute.substring(0, eq).trim();
                if (eq > 0 && (key.equals(namespace) || key.equals(namespace + ":String"))) {
                    String value = attribute.substring(eq + 1).trim();
                    return value.length() > 1 && value.startsWith("\"") && value.endsWith("\"") ? value.substring(1, value.length() - 1) : value;
                }
            }
        }
        return null;
    }

    /** An OSGi header's clauses (split at commas), each split at semicolons, quotes respected. */
    static List<List<String>> clauses(String header) {
        List<List<String>> clauses = new ArrayList<>();
        List<String> parts = new ArrayList<>();
        StringBuilder part = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i <= header.length(); i++) {
            char c = i < header.length() ? header.charAt(i) : ',';
            if (c == '"') {
                quoted = !quoted;
            }
            if (!quoted && (c == ';' || c == ',')) {
                parts.add(part.toString().trim());
                part.setLength(0);
                if (c == ',') {
                    clauses.add(parts);
                    parts = new ArrayList<>();
                }
            } else {
                part.append(c);
            }
        }
        return clauses;
    }

    private interface Reader<T> {
        T read(InputStream in) throws IOException;
    }

    /** A file of the classes folder or jar {@code where}, read; null when it has none. */
    private static <T> T read(Path where, String entry, Reader<T> reader) throws IOException {
        if (Files.isDirectory(where)) {
            Path f = where.resolve(entry);
            if (!Files.isRegularFile(f)) {
                return null;
            }
            try (InputStream in = Files.newInputStream(f)) {
                return reader.read(in);
            }
        }
        try (JarFile jar = new JarFile(where.toFile())) {
            java.util.zip.ZipEntry e = jar.getEntry(entry);
            if (e == null) {
                return null;
            }
            try (InputStream in = jar.getInputStream(e)) {
                return reader.read(in);
            }
        }
    }

    /** The attribute definitions designated for {@code pid}, beside the class: bnd names each file after its definition's id, not the PID. */
    private static Map<String, Element> declared(Path where, String pid) {
        Map<String, Element> declared = new LinkedHashMap<>();
        List<String> files = new ArrayList<>();
        try {
            if (Files.isDirectory(where)) {
                Path dir = where.resolve("OSGI-INF/metatype");
                if (Files.isDirectory(dir)) {
                    try (java.util.stream.Stream<Path> s = Files.list(dir)) {
                        s.filter(f -> f.toString().endsWith(".xml")).forEach(f -> files.add("OSGI-INF/metatype/" + f.getFileName()));
                    }
                }
            } else {
                try (JarFile jar = new JarFile(where.toFile())) {
                    jar.stream().map(java.util.zip.ZipEntry::getName)
                            .filter(n -> n.startsWith("OSGI-INF/metatype/") && n.endsWith(".xml")).forEach(files::add);
                }
            }
            for (String f : files) {
                Element root = read(where, f, ComponentLoader::xml).getDocumentElement();
                for (Element designate : children(root, "Designate")) {
                    if (!designate.getAttribute("pid").equals(pid)) {
                        continue;
                    }
                    for (Element object : children(designate, "Object")) {
                        for (Element ocd : children(root, "OCD")) {
                            if (ocd.getAttribute("id").equals(object.getAttribute("ocdref"))) {
                                for (Element ad : children(ocd, "AD")) {
                                    declared.put(ad.getAttribute("id"), ad);
                                }
                            }
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the Metatype beside " + where + ": " + e, e);
        }
        return declared;
    }

    /** The parameters as the host's insmod stores them: typed and checked by the Metatype, unknown ones as text. */
    static Map<String, Object> parameters(Path where, String pid, String... parameters) {
        Map<String, Element> declared = parameters.length == 0 ? Map.of() : declared(where, pid);
        Map<String, Object> typed = new LinkedHashMap<>();
        for (String p : parameters) {
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new KernelException(Errno.EINVAL, "parameter '" + p + "': give name=value");
            }
            String name = p.substring(0, eq);
            String text = p.substring(eq + 1);
            Element ad = declared.get(name);
            typed.put(name, ad == null ? text : convert(ad, name, text)); // unknown: the module reports it
        }
        return typed;
    }

    /** The host's conversion ({@link ModuleParams#typed}), and the Metatype's bounds of an integer. */
    private static Object convert(Element ad, String name, String text) {
        Class<?> type = switch (ad.getAttribute("type")) {
            case "Integer" -> Integer.class;
            case "Boolean" -> Boolean.class;
            case "Long" -> Long.class;
            default -> String.class;
        };
        int cardinality = ad.getAttribute("cardinality").isEmpty() ? 0 : Integer.parseInt(ad.getAttribute("cardinality"));
        Object value = ModuleParams.typed(name, text, type, cardinality);
        long min = bound(ad.getAttribute("min"), Long.MIN_VALUE);
        long max = bound(ad.getAttribute("max"), Long.MAX_VALUE);
        if (value instanceof Number n && (n.longValue() < min || n.longValue() > max)) {
            throw new KernelException(Errno.EINVAL, "parameter '" + name + "': " + text + " is outside " + min + ".." + max
                    + " (its declaration's bounds)");
        }
        return value;
    }

    /** A Metatype bound of an integer parameter; none when absent or not an integer. */
    private static long bound(String text, long none) {
        try {
            return text.isEmpty() ? none : Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            return none;
        }
    }

    // ---- making the instance ----

    private static <C> C construct(TestKernel kernel, String module, DeviceRegistry registry, Class<C> type, Description d,
            Map<String, Object> props) throws ReflectiveOperationException {
        Constructor<?> init = null;
        for (Constructor<?> c : type.getDeclaredConstructors()) {
            if (c.getParameterCount() == d.init() && (init == null || Modifier.isPublic(c.getModifiers()))) {
                init = c;
            }
        }
        if (init == null) {
            throw new IllegalStateException(type.getName() + ": no constructor with the " + d.init() + " parameter(s) its"
                    + " component description names");
        }
        init.setAccessible(true);
        Object[] args = new Object[d.init()];
        Class<?>[] types = init.getParameterTypes();
        for (int i = 0; i < args.length; i++) {
            Reference ref = null;
            for (Reference r : d.references()) {
                if (r.parameter() == i) {
                    ref = r;
                }
            }
            args[i] = ref != null ? referenced(kernel, module, registry, ref, types[i], type) : activationArgument(types[i], props, 0, type);
        }
        try {
            return type.cast(init.newInstance(args));
        } catch (InvocationTargetException e) {
            throw rethrow(e);
        }
    }

    private static Object referenced(TestKernel kernel, String module, DeviceRegistry registry, Reference r, Class<?> wanted,
            Class<?> type) {
        if (r.service().equals(DeviceRegistry.class.getName())) {
            return registry;
        }
        if (r.service().equals(LoggerFactory.class.getName())) {
            Logger logger = kernel.logger(module);
            if (wanted == Logger.class) {
                return logger;
            }
            return Proxy.newProxyInstance(LoggerFactory.class.getClassLoader(), new Class<?>[] {LoggerFactory.class},
                    (proxy, method, a) -> switch (method.getName()) {
                        case "getLogger" -> logger;
                        case "toString" -> "LoggerFactory of " + module;
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == a[0];
                        default -> throw new UnsupportedOperationException("LoggerFactory." + method.getName() + " in the testing kit");
                    });
        }
        if (r.optional()) {
            return null; // an optional reference with nothing to bind: DS leaves it null too
        }
        throw new IllegalStateException(type.getName() + ": reference " + r.name() + " to " + r.service() + " is not one"
                + " the testing kit provides (DeviceRegistry, LoggerFactory); make it optional, or test that part in the host");
    }

    /** An argument of init or deactivate that is not a reference: the properties, a property type, or the reason. */
    private static Object activationArgument(Class<?> wanted, Map<String, Object> props, int reason, Class<?> type) {
        if (wanted == Map.class) {
            return props;
        }
        if (wanted.isAnnotation()) {
            return propertyType(wanted, props);
        }
        if (wanted == int.class || wanted == Integer.class) {
            return reason;
        }
        throw new IllegalStateException(type.getName() + ": an activation argument of type " + wanted.getName()
                + " is not one the testing kit provides (Map, a component property type, int)");
    }

    private static void invoke(Object component, Class<?> type, String name, Map<String, Object> props, int reason, String what)
            throws ReflectiveOperationException {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            for (Method m : c.getDeclaredMethods()) {
                if (m.getName().equals(name)) {
                    m.setAccessible(true);
                    Object[] args = new Object[m.getParameterCount()];
                    for (int i = 0; i < args.length; i++) {
                        args[i] = activationArgument(m.getParameterTypes()[i], props, reason, type);
                    }
                    try {
                        m.invoke(component, args);
                    } catch (InvocationTargetException e) {
                        throw rethrow(e);
                    }
                    return;
                }
            }
        }
        throw new IllegalStateException(type.getName() + ": no " + what + " method " + name);
    }

    private static RuntimeException rethrow(InvocationTargetException e) {
        Throwable cause = e.getCause();
        if (cause instanceof RuntimeException r) {
            throw r;
        }
        if (cause instanceof Error err) {
            throw err;
        }
        throw new IllegalStateException("init threw " + cause, cause);
    }

    /**
     * A component property type over {@code props}, as Felix SCR makes it: DS's mapping of method
     * names to property names (a single-element annotation's {@code value()} is named after the
     * type: {@code MyValue} is {@code my.value}), the type's {@code PREFIX_}, and DS's coercions: a
     * missing property is 0, false or null (bnd writes the annotation's defaults as component
     * properties, so a component sees them that way), text is parsed strictly, a list gives its
     * first element, a boolean gives 1 or 0. A value that cannot be coerced fails when its method
     * is called, as in the host.
     */
    static Object propertyType(Class<?> annotation, Map<String, Object> props) {
        String prefix = "";
        try {
            Field f = annotation.getField("PREFIX_");
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class && f.get(null) != null) {
                prefix = String.valueOf(f.get(null));
            }
        } catch (NoSuchFieldException | IllegalAccessException none) {
            // no prefix
        }
        boolean singleElement = isSingleElement(annotation);
        String p = prefix;
        return Proxy.newProxyInstance(annotation.getClassLoader(), new Class<?>[] {annotation}, (proxy, method, args) -> {
            switch (method.getName()) {
                case "annotationType":
                    return annotation;
                case "toString":
                    return annotation.getName() + " : " + props;
                case "hashCode":
                    return System.identityHashCode(proxy);
                case "equals":
                    return proxy == args[0];
                default:
                    String key = singleElement && method.getName().equals("value") ? typeNameToKey(annotation.getSimpleName())
                            : propertyName(method.getName());
                    return coerce(props.get(p + key), method.getReturnType(), p + key);
            }
        });
    }

    /** DS's single-element annotation: a {@code value()} and every other element with a default. */
    private static boolean isSingleElement(Class<?> annotation) {
        boolean value = false;
        for (Method m : annotation.getDeclaredMethods()) {
            if (m.getName().equals("value")) {
                value = true;
            } else if (m.getDefaultValue() == null) {
                return false;
            }
        }
        return value;
    }

    /** DS 1.4 (112.8.2.1): {@code $$} is {@code $}, a lone {@code $} goes, {@code $_$} is {@code -}, {@code __} is {@code _}, {@code _} is {@code .}. */
    static String propertyName(String method) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < method.length(); i++) {
            char c = method.charAt(i);
            if (c == '$') {
                if (method.startsWith("$_$", i)) {
                    b.append('-');
                    i += 2;
                } else if (method.startsWith("$$", i)) {
                    b.append('$');
                    i++;
                }
            } else if (c == '_') {
                if (method.startsWith("__", i)) {
                    b.append('_');
                    i++;
                } else {
                    b.append('.');
                }
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** DS's name for a single-element annotation's value: {@code MyValue} is {@code my.value}. */
    static String typeNameToKey(String simpleName) {
        StringBuilder b = new StringBuilder();
        boolean lastLow = false;
        for (char c : simpleName.toCharArray()) {
            if (lastLow && Character.isLetterOrDigit(c) && Character.isUpperCase(c)) {
                b.append('.');
            }
            lastLow = Character.isLetterOrDigit(c) && Character.isLowerCase(c);
            b.append(Character.toLowerCase(c));
        }
        return b.toString();
    }

    /** DS's coercion of a property value to a property type's return type (Felix SCR's rules). */
    static Object coerce(Object v, Class<?> to, String key) {
        if (to.isArray()) {
            Object[] items = v == null ? new Object[0] : v.getClass().isArray() ? boxedItems(v)
                    : v instanceof java.util.Collection<?> c ? c.toArray() : new Object[] {v};
            Object out = Array.newInstance(to.getComponentType(), items.length);
            for (int i = 0; i < items.length; i++) {
                Array.set(out, i, coerce(items[i], to.getComponentType(), key));
            }
            return out;
        }
        if (v != null && v.getClass().isArray()) {
            v = Array.getLength(v) == 0 ? null : Array.get(v, 0);
        } else if (v instanceof java.util.Collection<?> c) {
            v = c.isEmpty() ? null : c.iterator().next();
        }
        try {
            if (to == String.class) {
                return v == null ? null : String.valueOf(v);
            }
            if (to == boolean.class || to == Boolean.class) {
                return v == null ? false : v instanceof Boolean b ? b : v instanceof String t ? Boolean.parseBoolean(t)
                        : v instanceof Character ch ? ch != 0 : v instanceof Number n ? n.intValue() != 0 : fail(v, to, key);
            }
            if (to.isEnum()) {
                return v == null ? null : v instanceof String t ? enumValue(to, t) : fail(v, to, key);
            }
            if (to == char.class || to == Character.class) {
                return v == null ? '\0' : v instanceof Character ch ? ch : v instanceof String t && !t.isEmpty() ? t.charAt(0)
                        : v instanceof Number n ? (char) n.intValue() : fail(v, to, key);
            }
            long whole;
            double real;
            if (v == null) {
                whole = 0;
                real = 0;
            } else if (v instanceof Boolean b) {
                whole = b ? 1 : 0;
                real = whole;
            } else if (v instanceof Character ch) {
                whole = ch;
                real = whole;
            } else if (v instanceof Number n) {
                whole = n.longValue();
                real = n.doubleValue();
            } else if (v instanceof String t) {
                if (to == double.class || to == Double.class || to == float.class || to == Float.class) {
                    real = Double.parseDouble(t);
                    whole = (long) real;
                } else {
                    whole = to == int.class || to == Integer.class ? Integer.parseInt(t) : to == short.class || to == Short.class
                            ? Short.parseShort(t) : to == byte.class || to == Byte.class ? Byte.parseByte(t) : Long.parseLong(t);
                    real = whole;
                }
            } else {
                return fail(v, to, key);
            }
            if (to == int.class || to == Integer.class) {
                return v instanceof Number n ? n.intValue() : (int) whole;
            } else if (to == long.class || to == Long.class) {
                return whole;
            } else if (to == short.class || to == Short.class) {
                return v instanceof Number n ? n.shortValue() : (short) whole;
            } else if (to == byte.class || to == Byte.class) {
                return v instanceof Number n ? n.byteValue() : (byte) whole;
            } else if (to == double.class || to == Double.class) {
                return real;
            } else if (to == float.class || to == Float.class) {
                return (float) real;
            }
            return fail(v, to, key);
        } catch (NumberFormatException e) {
            throw new KernelException(Errno.EINVAL, "property " + key + "='" + v + "' is not a " + to.getSimpleName()
                    + " (the host's Declarative Services refuses it too)");
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object enumValue(Class<?> type, String name) {
        try {
            return Enum.valueOf((Class) type, name);
        } catch (IllegalArgumentException e) {
            throw new KernelException(Errno.EINVAL, "'" + name + "' is none of " + Arrays.toString(type.getEnumConstants()));
        }
    }

    private static Object fail(Object v, Class<?> to, String key) {
        throw new KernelException(Errno.EINVAL, "property " + key + "='" + v + "' cannot be a " + to.getSimpleName());
    }

    private static Object[] boxedItems(Object array) {
        Object[] out = new Object[Array.getLength(array)];
        for (int i = 0; i < out.length; i++) {
            out[i] = Array.get(array, i);
        }
        return out;
    }

    // ---- small things ----

    private static Object propertyValue(Element p) {
        String type = p.getAttribute("type").isEmpty() ? "String" : p.getAttribute("type");
        if (p.hasAttribute("value")) {
            return typed(type, p.getAttribute("value"));
        }
        List<Object> items = new ArrayList<>();
        for (String line : p.getTextContent().split("\n")) {
            if (!line.isBlank()) {
                items.add(typed(type, line.trim()));
            }
        }
        return items.toArray();
    }

    private static Object typed(String type, String text) {
        return switch (type) {
            case "Integer" -> Integer.valueOf(text);
            case "Long" -> Long.valueOf(text);
            case "Boolean" -> Boolean.valueOf(text);
            case "Short" -> Short.valueOf(text);
            case "Byte" -> Byte.valueOf(text);
            case "Double" -> Double.valueOf(text);
            case "Float" -> Float.valueOf(text);
            case "Character" -> (char) Integer.parseInt(text);
            default -> text;
        };
    }

    private static int intProperty(Map<String, Object> props, String key, int def) {
        Object v = props.get(key);
        if (v == null) {
            return def;
        }
        if (v instanceof Number n) {
            return n.intValue();
        }
        try {
            return Integer.decode(v.toString().trim());
        } catch (NumberFormatException e) {
            throw new KernelException(Errno.EINVAL, key + "=" + v + " is not a number");
        }
    }

    private static Field field(Class<?> type, String name) throws NoSuchFieldException {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            try {
                Field f = c.getDeclaredField(name);
                f.setAccessible(true);
                return f;
            } catch (NoSuchFieldException next) {
                // look in the superclass
            }
        }
        throw new NoSuchFieldException(type.getName() + "." + name);
    }

    private static boolean hasMethod(Class<?> type, String name) {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            for (Method m : c.getDeclaredMethods()) {
                if (m.getName().equals(name)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static List<Element> children(Element parent, String localName) {
        List<Element> out = new ArrayList<>();
        NodeList nodes = parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            if (nodes.item(i) instanceof Element e) {
                String n = e.getTagName();
                if (n.equals(localName) || n.endsWith(":" + localName)) {
                    out.add(e);
                }
            }
        }
        return out;
    }

    private static Document xml(URL url) {
        try (InputStream in = url.openStream()) {
            return xml(in);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + url + ": " + e, e);
        }
    }

    private static Document xml(InputStream in) throws IOException {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setExpandEntityReferences(false);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            return f.newDocumentBuilder().parse(in);
        } catch (javax.xml.parsers.ParserConfigurationException | org.xml.sax.SAXException e) {
            throw new IOException("not the XML bnd writes: " + e, e);
        }
    }
}
