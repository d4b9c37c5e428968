package org.devhost.kernel;

/** How a device was registered. */
public enum DeviceType {
    /** One minor of a {@link ChrdevRegion}. */
    CHAR("char"),
    /** A {@link MiscDevice} on major 10. */
    MISC("misc");

    private final String label;

    DeviceType(String label) {
        this.label = label;
    }

    /** The short name {@code dev:ls} prints. */
    public String label() {
        return label;
    }
}
