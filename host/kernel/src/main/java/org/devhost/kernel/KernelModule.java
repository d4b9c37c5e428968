package org.devhost.kernel;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.osgi.annotation.bundle.Attribute;
import org.osgi.annotation.bundle.Capability;

/**
 * Module metadata, the analog of Rust-for-Linux's {@code module!} block. Put it on the driver's
 * component class; bnd turns it into a manifest header at build time (a {@code Provide-Capability}
 * in the {@value #NAMESPACE} namespace, one attribute per element), where the kernel, {@code
 * dev:lsmod} and {@code dev:modinfo} read it back.
 *
 * <pre>{@code
 * @KernelModule(name = "rust_chrdev", author = "Rust for Linux Contributors",
 *         description = "Rust character device sample", license = "GPL")
 * @Component
 * public final class RustChrdev { ... }
 * }</pre>
 *
 * <p>gives {@code Provide-Capability: devhost.module;devhost.module=rust_chrdev;author="Rust for
 * Linux Contributors";description="Rust character device sample";license=GPL}.
 */
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
@Capability(namespace = KernelModule.NAMESPACE)
public @interface KernelModule {
    /** The capability namespace; its namespace attribute is the module name. */
    String NAMESPACE = "devhost.module";
    String AUTHOR = "author";
    String DESCRIPTION = "description";
    String LICENSE = "license";
    String ALIAS = "alias";
    String READONLY = "readonly";

    /** The module name, as {@code lsmod} shows it (e.g. {@code rust_chrdev}). */
    @Attribute(NAMESPACE)
    String name();

    @Attribute(AUTHOR)
    String author() default "";

    @Attribute(DESCRIPTION)
    String description() default "";

    @Attribute(LICENSE)
    String license() default "";

    @Attribute(ALIAS)
    String[] alias() default {};

    /**
     * Parameters that cannot change once the module is loaded (permission 0444 in Linux):
     * {@link ModuleParameters#set} refuses them with EPERM.
     */
    @Attribute(READONLY)
    String[] readonly() default {};
}
