/**
 * Waits (Linux's {@code kernel/sched/wait.c} and {@code fs/select.c}): wait queues a driver
 * blocks its callers on, and the poll subscriptions that wake a poller when a queue fires.
 * Lowest layer: uses only the kernel API. Layers: ARCHITECTURE.md.
 */
package org.devhost.kernel.impl.wait;
