/**
 * Isolated modules: a driver in a JVM process of its own, killed and started again by the
 * supervisor, never abandoned (MINIX 3's drivers as processes). The host side ({@code Isolation},
 * {@code Child}, {@code RemoteOperations}) starts a child for every started bundle that carries
 * {@value org.devhost.kernel.impl.isolation.IsolatedJar#HEADER}, registers the child's devices in
 * the host's table with the numbers the host grants, and forwards every operation on them over one
 * Unix domain socket; the child side ({@code ChildMain}, {@code Satellite}) runs the same kernel
 * with the host as its {@code chrdev.Upstream} and serves those operations on its own devices.
 * {@code Wire} is the protocol both speak. Uses {@code registry}, {@code chrdev} and {@code log}.
 */
package org.devhost.kernel.impl.isolation;
