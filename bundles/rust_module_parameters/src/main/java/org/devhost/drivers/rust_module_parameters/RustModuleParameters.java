package org.devhost.drivers.rust_module_parameters;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import org.devhost.kernel.KernelModule;
import org.devhost.kernel.ModuleParams;
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
 * Rust module parameters sample. Original: {@code samples/rust/rust_module_parameters.rs} of
 * Rust-for-Linux's {@code rust} branch (blob at commit 7746b52c0aae), compared line by line; its
 * parser is {@code rust/kernel/module_param.rs} of the same branch.
 *
 * <p>Its parameters are the configuration with PID {@code rust_module_parameters} ({@code dev:insmod
 * ... my_i32=7}, or a {@code .cfg} file), described by Metatype; init logs them in the original's
 * lines. A bad value fails init with EINVAL naming the parameter; an unknown one is logged and
 * ignored. Parameters with permission 0 in the original ({@code my_bool}, {@code my_array}) are
 * read-only: the kernel refuses to change them while the module is loaded (EPERM), and a change
 * that reaches {@link #modified} anyway is logged and not applied. The others (0644) change while
 * the module runs. Values are parsed as the kernel does ({@link ModuleParams}): {@code 0x}, {@code
 * 0o}, {@code 0b} integers, {@code kstrtobool} booleans, {@code my_array} up to 3 items.
 *
 * <p>Where we differ on purpose:
 * <ul>
 * <li>{@code my_array=1,2,3,4}: the Rust {@code ArrayParam::push} silently drops the fourth value;
 * we refuse it (EINVAL), as C's {@code param_array_set} does, so nobody believes it was taken.</li>
 * <li>{@code dev:modinfo} shows C type names ({@code bool}, {@code int}, {@code long}, {@code charp},
 * {@code array of int}) where the Rust macro writes {@code parmtype} as the Rust type ({@code i32},
 * {@code usize}, {@code str}, {@code __rust_array_param_i32_3}): devhost derives the type from
 * Metatype, which has no {@code i32}/{@code usize} distinction, and one naming serves the C
 * samples (scull) and the Rust ones alike.</li>
 * <li>a bare {@code my_bool} (no {@code =}) means true in the kernel; devhost's {@code dev:insmod}
 * takes {@code name=value} only, so write {@code my_bool=y}.</li>
 * <li>no {@code kernel_param_lock}: the values are immutable or volatile fields, read once each.</li>
 * </ul>
 */
@KernelModule(name = "rust_module_parameters", author = "Rust for Linux Contributors",
        description = "Rust module parameters sample", license = "GPL", readonly = {"my_bool", "my_array"})
@Component(configurationPid = "rust_module_parameters", immediate = true)
@Designate(ocd = RustModuleParameters.Params.class)
public final class RustModuleParameters {

    @ObjectClassDefinition(id = "rust_module_parameters", name = "rust_module_parameters",
            description = "Rust module parameters sample")
    public @interface Params {
        // Metatype derives ids from method names with "_" read as "." and "__" as "_": my__bool is my_bool.
        @AttributeDefinition(description = "Example of bool")
        boolean my__bool() default true;

        @AttributeDefinition(description = "Example of i32")
        int my__i32() default 42;

        @AttributeDefinition(description = "Example of a string param")
        String my__str() default "default str val";

        @AttributeDefinition(type = AttributeType.LONG, min = "0", description = "Example of usize")
        long my__usize() default 42;

        @AttributeDefinition(cardinality = MY_ARRAY_MAX, description = "Example of array")
        int[] my__array() default {0, 1};
    }

    /** {@code ArrayParam<i32, 3>}. */
    static final int MY_ARRAY_MAX = 3;

    static final Set<String> NAMES = Set.of("my_bool", "my_i32", "my_str", "my_usize", "my_array");

    private final Logger log;
    private final boolean myBool;
    private final int[] myArray;
    private volatile int myI32;
    private volatile String myStr;
    private volatile long myUsize;

    @Activate
    public RustModuleParameters(@Reference(service = LoggerFactory.class) Logger log, Map<String, Object> props) {
        this.log = log;
        // Parse everything before logging anything: a bad value fails init (EINVAL) with nothing done.
        myBool = ModuleParams.bool(props, "my_bool", true);
        myArray = ModuleParams.i32Array(props, "my_array", new int[] {0, 1}, MY_ARRAY_MAX);
        apply(props);
        ModuleParams.warnUnknown(props, NAMES, name -> log.warn("rust_module_parameters: unknown parameter '{}' ignored", name));
        log.info("Rust module parameters sample (init)");
        log.info("Parameters:");
        log.info("  my_bool:    {}", myBool);
        log.info("  my_i32:     {}", myI32);
        log.info("  my_str:     {}", myStr);
        log.info("  my_usize:   {}", myUsize);
        log.info("  my_array:   {}", Arrays.toString(myArray));
    }

    /** Writable parameters changed while loaded; the read-only ones keep their load-time values. */
    @Modified
    void modified(Map<String, Object> props) {
        apply(props);
        if (ModuleParams.bool(props, "my_bool", true) != myBool) {
            log.warn("rust_module_parameters: my_bool is read-only; keeping {}", myBool);
        }
        if (!Arrays.equals(ModuleParams.i32Array(props, "my_array", new int[] {0, 1}, MY_ARRAY_MAX), myArray)) {
            log.warn("rust_module_parameters: my_array is read-only; keeping {}", Arrays.toString(myArray));
        }
        log.info("parameters now: my_i32={} my_str={} my_usize={} my_array={}", myI32, myStr, myUsize,
                Arrays.toString(myArray));
    }

    private void apply(Map<String, Object> props) {
        int i32 = ModuleParams.i32(props, "my_i32", 42);
        String str = ModuleParams.str(props, "my_str", "default str val");
        long usize = ModuleParams.usize(props, "my_usize", 42);
        myI32 = i32;
        myStr = str;
        myUsize = usize;
    }

    boolean myBool() {
        return myBool;
    }

    int myI32() {
        return myI32;
    }

    String myStr() {
        return myStr;
    }

    long myUsize() {
        return myUsize;
    }

    int[] myArray() {
        return myArray.clone();
    }

    @Deactivate
    void drop() {
        log.info("Rust module parameters sample (exit)");
    }
}
