/**
 * The driver author's testing kit: the kernel without a framework ({@link
 * org.devhost.kernel.testing.TestKernel}), to load a driver in a plain JUnit test, open its
 * devices as a user would, wait for callers parked in kernel waits, and read what it logged.
 *
 * <p>Use it from a driver project's test scope with the {@code org.devhost.kernel} jar on the
 * class path; no OSGi framework is needed.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package org.devhost.kernel.testing;
