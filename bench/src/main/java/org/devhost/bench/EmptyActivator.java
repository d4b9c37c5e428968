package org.devhost.bench;

import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/** The baseline bundle of the lifecycle benchmark: an activator that does nothing. */
public final class EmptyActivator implements BundleActivator {
    @Override
    public void start(BundleContext context) {}

    @Override
    public void stop(BundleContext context) {}
}
