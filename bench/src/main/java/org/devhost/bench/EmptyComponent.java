package org.devhost.bench;

/** The second baseline of the lifecycle benchmark: an immediate DS component that does nothing. */
public final class EmptyComponent {
    public EmptyComponent() {}
}
