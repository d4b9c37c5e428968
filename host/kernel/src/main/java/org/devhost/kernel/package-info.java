/**
 * The devhost kernel API: what a driver bundle and a tool see of the host.
 *
 * <p>A driver gets a {@link org.devhost.kernel.DeviceRegistry} (one instance per bundle, so the
 * kernel knows who owns what), registers character devices with it ({@link
 * org.devhost.kernel.ChrdevRegion}, {@link org.devhost.kernel.MiscDevice}) and implements their
 * {@link org.devhost.kernel.FileOperations}. Numbers, errno values and defaults follow Linux.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.7.0")
package org.devhost.kernel;
