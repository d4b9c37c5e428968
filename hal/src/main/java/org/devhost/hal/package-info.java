/**
 * The HAL API: typed access to real {@code /dev} nodes and their ioctls. No JNA type appears
 * here; failures are {@link org.devhost.kernel.KernelException}s carrying the errno.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.4.0")
package org.devhost.hal;
