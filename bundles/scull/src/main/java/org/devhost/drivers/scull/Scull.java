package org.devhost.drivers.scull;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.devhost.kernel.ChrdevRegion;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.KernLevel;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.KernelModule;
import org.devhost.kernel.ModuleParams;
import org.devhost.kernel.Printk;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * LDD3's scull. Original: {@code scull/main.c}, {@code scull/pipe.c} and {@code scull/scull.h} of
 * github.com/martinezjavier/ldd3 (master, commit d0c90d4), compared line by line.
 *
 * <p>As there: one major ({@code scull_major}, 0 = dynamic) carries two regions, {@code scull}
 * (minors {@code scull_minor} .. +{@code scull_nr_devs}-1: {@code scull0}..{@code scull3},
 * memory devices, see {@link ScullDevice}) and right after it {@code scullp} ({@code
 * scull_p_nr_devs} minors: {@code scullpipe0}..{@code scullpipe3}, blocking FIFOs, see {@link
 * ScullPipe}); so by default scull is minors 0-3 and the pipes 4-7, and {@code /proc/devices}
 * lists the major twice, as {@code scull} and {@code scullp}. If the pipe region cannot be had,
 * scull loads without pipes and logs "Unable to get scullp region", as {@code scull_p_init} does.
 * Every parameter is read-only once loaded ({@code S_IRUGO} or 0 there): the kernel refuses to
 * change one (EPERM) and a configuration change that reaches {@link #modified} is logged and not
 * applied, so data in the devices survives it.
 *
 * <p>Where we differ on purpose:
 * <ul>
 * <li>{@code scull_max_bytes} is a devhost addition: the most heap all scull devices together
 * hold, quanta and quantum sets' pointer arrays alike (default 64 MiB), so {@code dd if=zero
 * of=scull0} ends with ENOSPC instead of filling the heap. LDD3 keeps allocating until {@code
 * kmalloc} fails (ENOMEM).</li>
 * <li>Parameters are checked at load: {@code scull_quantum}, {@code scull_qset} at least 1 (LDD3
 * takes 0 and divides by zero at the first write), {@code scull_p_buffer} at least 2 (a ring of one
 * byte holds nothing: LDD3's writers would sleep forever), device counts at least 1; the quantum,
 * a quantum set's pointer array ({@code scull_qset} times 8 bytes) and the pipe buffer at most 4
 * MiB each, the largest {@code kmalloc} (beyond it LDD3's write or open fails with ENOMEM). The
 * ioctls that change them keep the same bounds ({@link ScullSettings}).</li>
 * <li>Init logs one line naming the numbers it got; LDD3 prints nothing on success (only
 * "scull: can't get major" on failure, which we print too).</li>
 * <li>No access devices ({@code access.c}: scullsingle, sculluid, scullwuid, scullpriv) and no
 * {@code /proc/scullmem}: they show user ids and processes, which the JVM's callers do not have.</li>
 * </ul>
 */
@KernelModule(name = "scull", author = "Alessandro Rubini, Jonathan Corbet",
        description = "Simple Character Utility for Loading Localities (LDD3)", license = "Dual BSD/GPL",
        readonly = {"scull_major", "scull_minor", "scull_nr_devs", "scull_quantum", "scull_qset", "scull_p_nr_devs",
                "scull_p_buffer", "scull_max_bytes"})
@Component(configurationPid = "scull", immediate = true)
@Designate(ocd = Scull.Config.class)
public final class Scull {

    @ObjectClassDefinition(id = "scull", name = "scull", description = "scull module parameters")
    public @interface Config {
        // Metatype and DS read "__" in a method name as "_": scull__quantum is the parameter scull_quantum.
        @AttributeDefinition(min = "0", max = "511", description = "major number (0: dynamic)")
        int scull__major() default 0;

        @AttributeDefinition(min = "0", description = "first minor number")
        int scull__minor() default 0;

        @AttributeDefinition(min = "1", description = "number of scull devices")
        int scull__nr__devs() default DEFAULT_NR_DEVS;

        @AttributeDefinition(min = "1", max = "" + ScullSettings.MAX_QUANTUM, description = "bytes per quantum")
        int scull__quantum() default ScullSettings.DEFAULT_QUANTUM;

        @AttributeDefinition(min = "1", max = "" + ScullSettings.MAX_QSET, description = "quanta per quantum set")
        int scull__qset() default ScullSettings.DEFAULT_QSET;

        @AttributeDefinition(min = "1", description = "number of scullpipe devices")
        int scull__p__nr__devs() default DEFAULT_NR_DEVS;

        @AttributeDefinition(min = "2", max = "" + ScullSettings.MAX_P_BUFFER, description = "bytes in each pipe's buffer (it holds one less)")
        int scull__p__buffer() default ScullSettings.DEFAULT_P_BUFFER;

        @AttributeDefinition(type = AttributeType.LONG, min = "1",
                description = "devhost: the most bytes all scull devices hold together (ENOSPC beyond)")
        long scull__max__bytes() default ScullQuota.DEFAULT_MAX_BYTES;
    }

    static final int DEFAULT_NR_DEVS = 4;
    /** The mode of every node, scull's and the pipes': LDD3's {@code scull_load} does {@code chmod 664}. */
    static final int MODE = 0664;
    static final Set<String> NAMES = Set.of("scull_major", "scull_minor", "scull_nr_devs", "scull_quantum", "scull_qset",
            "scull_p_nr_devs", "scull_p_buffer", "scull_max_bytes");

    private final Logger log;
    private final Map<String, Long> loaded = new LinkedHashMap<>();
    private final ChrdevRegion scull;
    private final ChrdevRegion pipes;

    @Activate
    public Scull(@Reference DeviceRegistry registry, @Reference(service = LoggerFactory.class) Logger log, Map<String, Object> props) {
        this.log = log;
        // Every value is checked before anything is registered: a bad one fails init with EINVAL naming it.
        int major = param(props, "scull_major", 0, 0, 511);
        int minor = param(props, "scull_minor", 0, 0, (1 << 20) - 1);
        int nrDevs = param(props, "scull_nr_devs", DEFAULT_NR_DEVS, 1, Integer.MAX_VALUE);
        int quantum = param(props, "scull_quantum", ScullSettings.DEFAULT_QUANTUM, 1, ScullSettings.MAX_QUANTUM);
        int qset = param(props, "scull_qset", ScullSettings.DEFAULT_QSET, 1, ScullSettings.MAX_QSET);
        int pNrDevs = param(props, "scull_p_nr_devs", DEFAULT_NR_DEVS, 1, Integer.MAX_VALUE);
        int pBuffer = param(props, "scull_p_buffer", ScullSettings.DEFAULT_P_BUFFER, ScullSettings.MIN_P_BUFFER,
                ScullSettings.MAX_P_BUFFER);
        long maxBytes = ModuleParams.i64(props, "scull_max_bytes", ScullQuota.DEFAULT_MAX_BYTES, 1, Long.MAX_VALUE);
        loaded.put("scull_max_bytes", maxBytes);
        ModuleParams.warnUnknown(props, NAMES, name -> log.warn("unknown parameter '{}' ignored", name));

        ScullSettings settings = new ScullSettings(quantum, qset, pBuffer);
        ScullQuota quota = new ScullQuota(maxBytes);
        try {
            scull = registry.chrdevRegion("scull", major, minor, nrDevs);
        } catch (KernelException e) {
            Printk.log(log, KernLevel.WARNING, "can't get major {}", major);
            throw e;
        }
        for (int i = 0; i < nrDevs; i++) {
            scull.register(minor + i, "scull" + i, MODE, new ScullDevice(settings, quota));
        }
        // scull_p_init: the pipes' region follows scull's on the same major, named scullp.
        ChrdevRegion p = null;
        try {
            p = registry.chrdevRegion("scullp", scull.major(), minor + nrDevs, pNrDevs);
            for (int i = 0; i < pNrDevs; i++) {
                p.register(minor + nrDevs + i, "scullpipe" + i, MODE, new ScullPipe(registry, settings));
            }
        } catch (KernelException e) {
            if (p != null) {
                p.close();
                p = null;
            }
            Printk.log(log, KernLevel.NOTICE, "Unable to get scullp region, error {}", e.getMessage());
        }
        pipes = p;
        loaded.put("scull_major", (long) scull.major());
        log.info("major {}: scull{} minors {}-{}{}, quantum {}, qset {}, at most {} bytes", scull.major(),
                nrDevs > 1 ? "0-" + (nrDevs - 1) : "0", minor, minor + nrDevs - 1,
                pipes == null ? "" : ", scullpipe minors " + (minor + nrDevs) + "-" + (minor + nrDevs + pNrDevs - 1),
                quantum, qset, maxBytes);
    }

    private int param(Map<String, Object> props, String name, int def, int min, int max) {
        int v = ModuleParams.i32(props, name, def, min, max);
        loaded.put(name, (long) v);
        return v;
    }

    /**
     * A configuration change while loaded: every scull parameter is read-only (as LDD3's), so none
     * is applied and each that differs is named. {@code scull_major} 0 asked for a dynamic major,
     * so the major scull got is not a change.
     */
    @Modified
    void modified(Map<String, Object> props) {
        for (Map.Entry<String, Long> e : loaded.entrySet()) {
            Object v = props.get(e.getKey());
            if (v == null) {
                continue;
            }
            long asked;
            try {
                asked = ModuleParams.i64(props, e.getKey(), 0, Long.MIN_VALUE, Long.MAX_VALUE);
            } catch (KernelException bad) {
                asked = Long.MIN_VALUE;
            }
            if (asked != e.getValue() && !(e.getKey().equals("scull_major") && asked == 0)) {
                log.warn("parameter {} is read-only once scull is loaded; keeping {} (unload and load scull to change it)",
                        e.getKey(), e.getValue());
            }
        }
    }

    @Deactivate
    void drop() {
        if (pipes != null) {
            pipes.close();
        }
        scull.close();
        log.info("unloaded");
    }
}
