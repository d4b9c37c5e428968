/**
 * Character devices (Linux's {@code fs/char_dev.c}, {@code fs/open.c}, {@code fs/read_write.c},
 * {@code drivers/char/misc.c}): the device table of numbers and names, regions and misc devices,
 * each device's operations and the files open on it, revocation, and a module's ledger of what
 * it owns ({@code ModuleContext}, heartbeats). Uses {@code wait} only; tells the layers above
 * through {@code KernelListener}.
 */
package org.devhost.kernel.impl.chrdev;
