/**
 * Loading (Linux's {@code kernel/module/}): the {@code ModuleManager} service behind insmod, rmmod,
 * lsmod and restart, driver jars and their checks, and module parameters. Top layer: uses
 * lifecycle, registry and supervisor (the supervisor's lock and steps, so that loads and restarts
 * take turns); nothing uses it.
 */
package org.devhost.kernel.impl.module;
