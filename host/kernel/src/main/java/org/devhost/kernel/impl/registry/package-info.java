/**
 * How a bundle reaches the kernel: {@code KernelCore} (the device table in the framework, devices
 * as services and events, one module context per bundle), the per-bundle {@code DeviceRegistry},
 * the misc-device whiteboard, and the same kernel without a framework ({@code StandaloneKernel}).
 * Uses {@code chrdev}, {@code wait}, {@code log}; tells the supervisor through {@code Supervision}.
 */
package org.devhost.kernel.impl.registry;
