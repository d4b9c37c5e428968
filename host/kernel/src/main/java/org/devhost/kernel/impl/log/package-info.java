/**
 * The kernel log (Linux's {@code kernel/printk}): the ring every module's printk lines and the
 * framework's log entries go to, in order, with their sources and levels, read by dmesg.
 * Lowest layer: uses only the kernel API and the OSGi Log Service. Layers: ARCHITECTURE.md.
 */
package org.devhost.kernel.impl.log;
