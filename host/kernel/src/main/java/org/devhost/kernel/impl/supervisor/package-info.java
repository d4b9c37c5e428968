/**
 * The reincarnation server (MINIX 3's {@code servers/rs}): detection ({@code Faults}, {@code
 * Watchdog}), the restart state machine ({@code Restarts}, {@code RestartSteps}, {@code
 * RestartByHand}), policy ({@code Policy}, {@code SupervisionPolicy}) and events, wired by {@code
 * Supervisor}. Uses {@code lifecycle}, {@code registry}, {@code chrdev}; only {@code module} uses it.
 */
package org.devhost.kernel.impl.supervisor;
