/**
 * A module's init and drop: each framework step under a deadline ({@code LifecycleSteps}), how an
 * init ended ({@code ComponentStates}), and the clean-up of an init that failed on its own
 * ({@code InitFailureWatcher}). Uses {@code registry} and {@code chrdev}; reports failed inits to
 * the supervisor through the registry's {@code Supervision}.
 */
package org.devhost.kernel.impl.lifecycle;
